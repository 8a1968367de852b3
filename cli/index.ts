#!/usr/bin/env node
console.log('flakeseed CLI: coming soon')
