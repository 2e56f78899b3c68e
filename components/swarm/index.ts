export * from "./bench";
export * from "./durations";
export * from "./network";
export * from "./plan";
export * from "./secrets";
export * from "./service";
export * from "./spec";
export * from "./deploy";
