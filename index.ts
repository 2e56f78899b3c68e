// Entry point of the Pulumi program: validate the stack config, deploy, export what operators need.
// The program is async (it reads this stack's last deploy before registering anything), so this exports a
// function: Pulumi's Node runtime calls an exported function and awaits it, and what it resolves to is the
// stack outputs, ProgramOutputs in components/program.ts (@pulumi/pulumi cmd/run/run.js). A function and
// not the promise itself, so a refused config is a rejection the runtime awaits at once, not one that
// Node reports as handled late.
// No password is an output: CI tools copy every stack output where later steps read it (pulumi/actions
// makes each one a step output). `npm run password -- <admin|db> --stack <name>` reads them (docs/passwords.md).
import { runFrappeProgram } from "./components/program";

export = () => runFrappeProgram({ projectRoot: __dirname });
