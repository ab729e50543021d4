// A Node bot using Binance's own @binance/connector, unmodified, pointed at the gateway.
// argv: baseURL apiKey apiSecret; prints one JSON line with what it saw.
'use strict'
const { Spot } = require('@binance/connector')

async function main () {
  const [baseURL, apiKey, apiSecret] = process.argv.slice(2)
  const client = new Spot(apiKey, apiSecret, { baseURL })
  const seen = {}
  const account = await client.account()
  seen.canWithdraw = account.data.canWithdraw
  seen.usdt = account.data.balances.find(b => b.asset === 'USDT').free
  const placed = await client.newOrder('BTCUSDT', 'BUY', 'MARKET', {
    quantity: '0.001', newClientOrderId: 'node1'
  })
  seen.placed = { status: placed.data.status, clientOrderId: placed.data.clientOrderId }
  try {
    await client.newOrder('BTCUSDT', 'BUY', 'MARKET', { quantity: '0.5' })
  } catch (error) {
    seen.denied = { status: error.response.status, ...error.response.data }
  }
  console.log(JSON.stringify(seen))
}

main().catch(error => { console.error(String(error)); process.exit(1) })
