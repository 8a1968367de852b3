// A temp table of ids that later statements join, for the queries that read a window of the history.
import type { Store } from './index.js'

/** A temp table `name (id)` holding exactly `ids`: later statements join it, whatever its size. */
export function fillTemp(store: Store, name: string, ids: Iterable<number>): void {
  const db = store.db
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${name} (id INTEGER PRIMARY KEY)`)
  db.exec(`DELETE FROM temp.${name}`)
  const insert = db.prepare(`INSERT OR IGNORE INTO temp.${name} (id) VALUES (?)`)
  db.transaction(() => {
    for (const id of ids) insert.run(id)
  })()
}
