"""`tradeguard scan` end to end: files, git history, own secrets, output, exit codes."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.scan import corpus
from tradeguard.cli.app import main
from tradeguard.scan import scan

ROOT = Path(__file__).resolve().parents[2]
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def run(*args: str, env: Mapping[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, ["scan", *args], env=env)


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout.strip()


def drawn(seed: int, n: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(corpus.ALNUM) for _ in range(n))


def secrets_of(planted: list[corpus.Planted]) -> list[str]:
    values: list[str] = []
    for p in planted:
        values += p.value.splitlines() if "PRIVATE KEY" in p.value else [p.value]
    return [v for v in values if "-----" not in v]


def assert_no_secret(texts: list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text
            assert secret[:8] not in text  # not even a long prefix


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, list[corpus.Planted]]:
    files = corpus.ordinary_tree(11, 400_000)
    planted = corpus.plant(files, 11, 12)
    root = tmp_path / "tree"
    corpus.write(root, files)
    return root, planted


def test_every_planted_key_found_and_nothing_else(
    tree: tuple[Path, list[corpus.Planted]],
) -> None:
    root, planted = tree
    result = run(str(root), "--json")
    assert result.exit_code == 1, result.stderr
    payload = json.loads(result.stdout)
    got = {(str(Path(f["path"]).relative_to(root)), f["line"]) for f in payload["findings"]}
    want = {(p.path, p.line) for p in planted}
    assert want == got
    assert_no_secret([result.stdout, result.stderr], secrets_of(planted))


def test_clean_generated_tree_has_no_finding(tmp_path: Path) -> None:
    corpus.write(tmp_path, corpus.ordinary_tree(5, 2_000_000))
    result = scan([tmp_path])
    assert result.stats.files > 100
    assert result.findings == []


def test_this_repository_source_has_no_finding() -> None:
    result = scan([ROOT / "src"], all_files=True)
    assert result.stats.files > 50
    assert [f"{f.path}:{f.line} {f.kind}" for f in result.findings] == []


@needs_git
def test_scan_of_this_repository_exits_0(tmp_path: Path) -> None:
    """`tradeguard scan .` at the top of a clone: its test vectors are marked, nothing found."""
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git work tree: scan would read .venv and build output too")
    env = {"XDG_CONFIG_HOME": str(tmp_path), "TRADEGUARD_CONFIG": None}
    result = run(str(ROOT), env=env)
    assert (result.exit_code, result.stdout) == (0, ""), result.stdout + result.stderr


def test_line_output_is_redacted_and_exit_codes(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    clean = run(str(tmp_path / "clean.py"))
    assert clean.exit_code == 0 and clean.stdout == ""
    key = drawn(2, 64)
    (tmp_path / "bot.py").write_text(f'\nAPI_KEY = "{key}"\n')
    dirty = run(str(tmp_path))
    assert dirty.exit_code == 1
    assert dirty.stdout == f"{tmp_path / 'bot.py'}:2: binance-key (redacted: {key[:4]}…)\n"
    table = run(str(tmp_path), "--table")
    assert table.exit_code == 1 and "binance-key" in table.stdout
    assert_no_secret([dirty.stdout, dirty.stderr, table.stdout, table.stderr], [key])


def test_bad_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run(str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no such file or directory" in result.stderr


def test_history_outside_git_is_exit_2(tmp_path: Path) -> None:
    if shutil.which("git") is not None:
        outside = subprocess.run(
            ["git", "-C", str(tmp_path), "rev-parse"], capture_output=True, check=False
        )
        if outside.returncode == 0:
            pytest.skip("tmp_path is inside a git work tree")
    result = run(str(tmp_path), "--history")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def test_binary_and_large_files_are_skipped(tmp_path: Path) -> None:
    key = drawn(4, 64).encode()
    (tmp_path / "blob.dat2").write_bytes(b"\0\1" + b'K = "' + key + b'"\n')
    (tmp_path / "big.py").write_bytes(b'K = "' + key + b'"\n' + b"#" * 3_000_000)
    result = scan([tmp_path])
    assert result.findings == []
    assert result.stats.skipped_binary == 1 and result.stats.skipped_large == 1


def test_own_secret_env_by_hash_never_printed(tmp_path: Path) -> None:
    secret = "q7Vx2LmP9rT4wZ8kN3bH6cJ1"  # tradeguard: allow
    (tmp_path / "conf.ini").write_text(f"[x]\nsignature_base = wss://h/{secret}/\n")
    env = {"MY_BOT_SECRET": secret}
    result = run(str(tmp_path), "--own-secret-env", "MY_BOT_SECRET", "--json", env=env)
    assert result.exit_code == 1, result.stderr
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["kind"] == "own-secret:MY_BOT_SECRET" and finding["line"] == 2
    assert_no_secret([result.stdout, result.stderr], [secret])
    unset = run(str(tmp_path), "--own-secret-env", "NOT_SET_ANYWHERE_X")
    assert unset.exit_code == 2 and unset.stderr.count("\n") == 1


def test_profile_credentials_are_looked_for(tmp_path: Path) -> None:
    secret = drawn(9, 30)
    config = tmp_path / "tradeguard.toml"
    config.write_text(
        '[profiles.p]\nvenue = "binance"\nenv = "testnet"\n'
        '[profiles.p.credentials]\nsource = "env"\napi_key = "TG_T_KEY"\nsecret = "TG_T_SECRET"\n'
    )
    code = tmp_path / "src"
    code.mkdir()
    (code / "bot.py").write_text(f"sig = sign(b'{secret}', payload)\n")
    env = {"TG_T_KEY": "k" * 8 + "Q1w2E3r4", "TG_T_SECRET": secret}
    result = run(str(code), "--config", str(config), "--profile", "p", env=env)
    assert result.exit_code == 1, result.stderr
    assert "own-secret:profile p secret" in result.stdout
    assert_no_secret([result.stdout, result.stderr], [secret])
    missing = run(str(code), "--config", str(config), "--profile", "nope", env=env)
    assert missing.exit_code == 2
    short = run(str(code), "--config", str(config), "-p", "p", env=env)
    assert short.exit_code == 1 and "own-secret:profile p secret" in short.stdout, short.stderr


@needs_git
def test_history_finds_a_key_removed_in_a_later_commit(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    files = corpus.ordinary_tree(21, 60_000)
    corpus.write(repo, files)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "ordinary code")
    rng = random.Random(21)
    key = "".join(rng.choice(corpus.ALNUM) for _ in range(64))
    secret = "".join(rng.choice(corpus.ALNUM) for _ in range(64))
    bot = repo / "bot.py"
    bot.write_text(f'import x\n\nAPI_KEY = "{key}"\nAPI_SECRET = "{secret}"\n')
    git(repo, "add", "bot.py")
    git(repo, "commit", "-q", "-m", "add keys")
    added = git(repo, "rev-parse", "HEAD")
    bot.write_text('import os\n\nAPI_KEY = os.environ["API_KEY"]\n')
    git(repo, "commit", "-q", "-am", "keys from the environment")
    # On another branch only: a Bybit pair in a config file.
    git(repo, "checkout", "-q", "-b", "side")
    y_key, y_secret = (
        "".join(rng.choice(corpus.ALNUM) for _ in range(18)),
        "".join(rng.choice(corpus.ALNUM) for _ in range(36)),
    )
    (repo / "side.yaml").write_text(f'bybit:\n  key: "{y_key}"\n  secret: "{y_secret}"\n')
    git(repo, "add", "side.yaml")
    git(repo, "commit", "-q", "-m", "side")
    git(repo, "checkout", "-q", "main")

    plain = run(str(repo))
    assert plain.exit_code == 0, plain.stdout

    result = run(str(repo), "--history", "--json")
    assert result.exit_code == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    got = {(f["path"], f["line"], f["kind"], f["source"]) for f in findings}
    assert got == {
        ("bot.py", 3, "binance-key", "history"),
        ("bot.py", 4, "binance-secret", "history"),
        ("side.yaml", 2, "bybit-key", "history"),
        ("side.yaml", 3, "bybit-secret", "history"),
    }
    assert {f["commit"] for f in findings if f["path"] == "bot.py"} == {added}
    lines = run(str(repo), "--history")
    assert f"bot.py:3: binance-key (redacted: {key[:4]}…) [commit {added[:12]}" in lines.stdout
    assert_no_secret(
        [result.stdout, result.stderr, lines.stdout, lines.stderr], [key, secret, y_key, y_secret]
    )


@needs_git
def test_history_marks_a_key_still_in_the_tree(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    key = drawn(8, 64)
    (repo / "a.py").write_text(f'K = "{key}"\n')
    git(repo, "init", "-q")
    git(repo, "add", "a.py")
    git(repo, "commit", "-q", "-m", "a")
    (repo / "a.py").write_text(f'# moved down\n\nK = "{key}"\n')
    git(repo, "commit", "-q", "-am", "b")
    result = scan([repo], history=True)
    assert len(result.findings) == 1
    (finding,) = result.findings
    assert finding.source == "file" and finding.line == 3 and finding.commit is not None
    assert result.blobs == 2
