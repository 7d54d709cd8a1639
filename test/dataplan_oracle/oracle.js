// Test oracle: mParticle's Node data plan validator (@mparticle/data-planning-node,
// "DPN") over JSON Lines. One request per stdin line, one JSON line back per request:
//
//   {"plan": <data plan version or version document>, "batch": <Events API batch>}
//       -> DPN validateBatch's result, {"batch": ..., "results": [...]}
//   {"plan": ..., "event": <event>}
//       -> DPN validateEvent's result, {"results": [<result or {}>]}
//   add "warnings": true  -> the result also has "warnings": [what DPN console.warn'ed]
//   add "repeat": N       -> runs it N times and answers {"repeat": N, "seconds": t} instead
//   anything DPN throws or rejects with -> {"error": "<message>"}
//
// A plan without "version_document" that has "data_points" is wrapped as
// {"version_document": plan}. Usage: node oracle.js [DIR], where DIR holds the
// node_modules that npm installed from package.json (oracle.py keeps it outside the repo).
'use strict';
const path = require('path');
const readline = require('readline');
const { createRequire } = require('module');

const dir = process.argv[2] || __dirname;
const { DataPlanService } = createRequire(path.join(dir, 'package.json'))(
    '@mparticle/data-planning-node'
);
const service = new DataPlanService();

let warnings = [];
console.warn = (...args) => {
    warnings.push(args.filter(a => typeof a === 'string').join(' '));
};

function runOnce(request) {
    let plan = request.plan;
    if (plan && typeof plan === 'object' && !('version_document' in plan) && 'data_points' in plan) {
        plan = { version_document: plan };
    }
    return 'event' in request
        ? service.validateEvent(request.event, plan)
        : service.validateBatch(request.batch, plan);
}

async function handle(line) {
    warnings = [];
    const request = JSON.parse(line);
    if (request.repeat) {
        const start = process.hrtime.bigint();
        for (let i = 0; i < request.repeat; i++) await runOnce(request);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        return { repeat: request.repeat, seconds };
    }
    const result = await runOnce(request);
    if (request.warnings) result.warnings = warnings;
    return result;
}

async function main() {
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
        if (!line.trim()) continue;
        let answer;
        try {
            answer = await handle(line);
        } catch (e) {
            answer = { error: String(e && e.message !== undefined ? e.message : e) };
        }
        process.stdout.write(JSON.stringify(answer) + '\n');
    }
}

main();
