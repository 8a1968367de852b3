// The text `bisect` prints for a finding: counts read as English.
import { describe, expect, test } from 'vitest'
import { type BisectReport, describeReport } from '../../src/bisect/report.js'

const report = (probes: number): BisectReport => ({
  victim: 'test/a.test.ts > victim',
  kind: 'independent',
  polluters: [],
  stateSetters: [],
  cleaners: [],
  probes,
  passingOrders: 1,
  command: 'npx flakeseed replay 1',
  seconds: 1.25,
})

describe('describeReport', () => {
  test('one probe is "1 probe", more are "probes"', () => {
    expect(describeReport(report(1))).toContain('(1 probe, 1.3 s)')
    expect(describeReport(report(2))).toContain('(2 probes, 1.3 s)')
  })
})
