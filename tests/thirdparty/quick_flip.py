"""A freqtrade strategy for tests/thirdparty: enters on every candle and exits at the next
loop, so a short run places and fills buys and sells. Loaded by freqtrade from its own venv,
never imported by tradeguard's tests (freqtrade is not installed there)."""

from typing import Any, ClassVar

from freqtrade.strategy import IStrategy
from pandas import DataFrame


class QuickFlip(IStrategy):
    INTERFACE_VERSION = 3
    timeframe = "1m"  # freqtrade refuses anything shorter
    minimal_roi: ClassVar[dict[str, float]] = {"0": 100}
    stoploss = -0.99
    startup_candle_count = 0
    process_only_new_candles = False

    def populate_indicators(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        return dataframe

    def populate_entry_trend(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        dataframe["enter_long"] = 1
        return dataframe

    def populate_exit_trend(self, dataframe: DataFrame, metadata: dict[str, Any]) -> DataFrame:
        dataframe["exit_long"] = 0
        return dataframe

    def custom_exit(self, pair: str, trade: Any, current_time: Any, **kwargs: Any) -> str:
        return "flip"
