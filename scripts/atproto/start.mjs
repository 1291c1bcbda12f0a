// Starts the reference AT Protocol servers in this process: a PLC directory and a PDS, and (unless
// ATPROTO_APPVIEW=0) the AppView that serves notifications, profiles and feeds, as bsky.social does.
// Prints one line of JSON with their addresses once they answer, then runs until SIGTERM.
//   env: DB_POSTGRES_URL, REDIS_HOST (AppView only), ATPROTO_PDS_PORT, ATPROTO_PLC_PORT, ATPROTO_APPVIEW_PORT
import { TestNetwork, TestNetworkNoAppView } from '@atproto/dev-env'

const port = (name) => (process.env[name] ? Number(process.env[name]) : undefined)
const appview = process.env.ATPROTO_APPVIEW !== '0'
const started = Date.now()
const network = appview
  ? await TestNetwork.create({
      dbPostgresUrl: process.env.DB_POSTGRES_URL,
      dbPostgresSchema: "crisisplan", // letters and _ only; the PostgreSQL cluster is this run's own
      pds: { port: port('ATPROTO_PDS_PORT') },
      plc: { port: port('ATPROTO_PLC_PORT') },
      bsky: { port: port('ATPROTO_APPVIEW_PORT') },
    })
  : await TestNetworkNoAppView.create({
      pds: { port: port('ATPROTO_PDS_PORT') },
      plc: { port: port('ATPROTO_PLC_PORT') },
    })
console.log(JSON.stringify({
  pds: network.pds.url,
  plc: network.plc.url,
  appview: appview ? network.bsky.url : null,
  handle_domain: network.pds.ctx.cfg.identity.serviceHandleDomains[0],
  pid: process.pid,
  started_in_s: (Date.now() - started) / 1000,
}))
const stop = async () => {
  await network.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
