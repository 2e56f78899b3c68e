export * from "./appsJson";
export * from "./buildPlan";
export * from "./frappeImage";
