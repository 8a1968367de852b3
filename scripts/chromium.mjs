// Headless Chromium for the report test and the docs/flaky.md screenshot: Debian's `chromium` (installed
// by .ci/run when missing), driven by its command line only, so no browser package is needed.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

// What a closed network needs: no background connections, no first-run work, no sandbox as root.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--hide-scrollbars',
]

/** The Chromium binary: $CHROMIUM, else the first of the usual names on PATH. */
export function findChromium() {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter(Boolean)
  for (const name of candidates) {
    const found = spawnSync('sh', ['-c', 'command -v "$0"', name], { encoding: 'utf8' })
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim()
  }
  return undefined
}

function chromium(binary, args) {
  const profile = mkdtempSync(join(tmpdir(), 'flakeseed-chromium-'))
  try {
    const result = spawnSync(binary, [...FLAGS, `--user-data-dir=${profile}`, ...args], { encoding: 'utf8', timeout: 120_000 })
    if (result.status !== 0) throw new Error(`chromium exited ${result.status}:\n${result.stderr}`)
    return { stdout: result.stdout ?? '', stderr: result.stderr ?? '' }
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
}

/** Opens a local file, lets its scripts run; the DOM, and every console message or uncaught error. */
export function openPage(binary, file) {
  const result = chromium(binary, ['--enable-logging=stderr', '--v=0', '--dump-dom', pathToFileURL(file).href])
  return { dom: result.stdout, console: result.stderr.split('\n').filter((line) => /:CONSOLE[:(]/.test(line)) }
}

/** A PNG of the page at this window size (taken once the page has loaded and painted); the console messages. */
export function screenshot(binary, file, png, width = 1200, height = 1400) {
  const result = chromium(binary, ['--enable-logging=stderr', '--v=0', `--screenshot=${png}`, `--window-size=${width},${height}`, pathToFileURL(file).href])
  return result.stderr.split('\n').filter((line) => /:CONSOLE[:(]/.test(line))
}
