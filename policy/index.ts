import { PolicyPack } from "@pulumi/policy";
import { policies, stackPolicies } from "./policies";

new PolicyPack("frappe-guardrails", { policies: [...policies, ...stackPolicies] });
