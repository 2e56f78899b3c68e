// Entry point of the Pulumi program: validate the stack config, deploy, export what operators need.
import { runFrappeProgram } from "./components/program";

const out = runFrappeProgram({ projectRoot: __dirname });

export const imageRef = out.imageRef;
export const imageTag = out.imageTag;
export const imageDigest = out.imageDigest;
export const networkName = out.networkName;
export const volumeNames = out.volumeNames;
export const containerNames = out.containerNames;
export const sites = out.sites;
/**
 * Site → apps as this deploy's config lists them. Read back by the next deploy to warn when a site or
 * app leaves the config (nothing is ever dropped); keep the name, older stacks recorded it so.
 */
export const siteApps = out.siteApps;
// No password is an output: CI tools copy every stack output where later steps read it (pulumi/actions
// makes each one a step output). `npm run password -- <admin|db> --stack <name>` reads them (docs/passwords.md).
