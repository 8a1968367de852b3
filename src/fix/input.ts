// What the patch writer reads from its input: test ids split into file and name, files read (from
// disk or as the caller hands them), edit paths relative to the root.
import { readFileSync } from 'node:fs'
import { relative, sep } from 'node:path'
import { NAME_SEPARATOR } from '../core/names.js'
import type { PatchInput } from './types.js'

/** `[project:]file > name` split by the victim's project. */
export function splitId(id: string, project: string | undefined): { file: string; name: string } {
  const at = id.indexOf(NAME_SEPARATOR)
  const fileId = at < 0 ? id : id.slice(0, at)
  const file = project && fileId.startsWith(`${project}:`) ? fileId.slice(project.length + 1) : fileId
  return { file, name: at < 0 ? '' : id.slice(at + NAME_SEPARATOR.length) }
}

/** The title of a test: the last part of its id or name. */
export function titleOf(idOrName: string): string {
  return idOrName.split(NAME_SEPARATOR).at(-1)!
}

/** The describe whose hooks bisect named as the cause (every test of it pollutes alike), when `id` is it or one of its tests. */
export function isDescribe(id: string, input: Pick<PatchInput, 'finding'>): boolean {
  const { describe } = input.finding
  return describe !== undefined && (id === describe || id.startsWith(`${describe}${NAME_SEPARATOR}`))
}

/** The describe's name (without the file) when the finding names one, for a culprit inside it. */
export function causeDescribe(id: string, input: PatchInput): string | undefined {
  return isDescribe(id, input) ? splitId(input.finding.describe!, input.project).name : undefined
}

/** The text of a file, as the input reads it. */
export function readText(input: Pick<PatchInput, 'read'>, absolute: string): string | undefined {
  if (input.read) return input.read(absolute)
  try {
    return readFileSync(absolute, 'utf8')
  } catch {
    return undefined
  }
}

/** A path for an edit: relative to the root, `/`-separated. */
export function editPath(input: PatchInput, absolute: string): string {
  return relative(input.root, absolute).split(sep).join('/')
}
