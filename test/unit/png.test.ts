import { deflateSync } from 'node:zlib'
import { describe, expect, test } from 'vitest'
import { readPng } from '../helpers/png.js'

function chunk(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(body.length)
  return Buffer.concat([length, Buffer.from(type, 'latin1'), body, Buffer.alloc(4)]) // the CRC is not read
}

/** A width × height RGB PNG whose rows are given as filter byte + pixel bytes. */
function png(width: number, height: number, rows: Buffer[]): Buffer {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

describe('readPng', () => {
  test('a blank image has one colour', () => {
    const white = Buffer.from([0, ...Array(4 * 3).fill(255)])
    expect(readPng(png(4, 3, [white, white, white]))).toEqual({ width: 4, height: 3, colours: 1 })
  })

  test('filters are undone: Sub and Up rows give the colours they encode', () => {
    // Row 0, Sub: red, then +0 (red again), then +green (yellow). Row 1, Up: the row above plus blue on the last pixel.
    const sub = Buffer.from([1, 255, 0, 0, 0, 0, 0, 0, 255, 0])
    const up = Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0, 255])
    expect(readPng(png(3, 2, [sub, up]))).toEqual({ width: 3, height: 2, colours: 3 })
  })

  test('what is not a PNG says so', () => {
    expect(() => readPng(Buffer.from('GIF89a'))).toThrow('not a PNG')
  })
})
