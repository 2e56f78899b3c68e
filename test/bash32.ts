/**
 * A static check for shell that must run on bash 3.2, the bash macOS ships (/bin/bash, and /bin/sh is the
 * same bash in POSIX mode). Each rule is a construct the bash 4.0-5.2 release notes (bash's NEWS file,
 * sections "bash-4.0" to "bash-5.2") list as new, and which bash 3.2 rejects or reads differently; a few
 * rules are GNU-only options of the userland tools macOS replaces with BSD ones.
 *
 * It is a pattern check, not a parser: it reads a line at a time with comments removed, so it can miss a
 * construct spelled across lines and cannot tell an array that may be empty (bash before 4.4 calls
 * "${a[@]}" of an empty array unbound under `set -u`).
 */
export interface Bash32Rule {
    readonly construct: string;
    readonly pattern: RegExp;
}

export const BASH4_RULES: readonly Bash32Rule[] = [
    { construct: "mapfile/readarray (bash 4.0)", pattern: /(^|[\s;&|({])(mapfile|readarray)(\s|$)/ },
    {
        construct: "associative array (declare -A, bash 4.0)",
        pattern: /\b(declare|typeset|local|readonly)\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*A/,
    },
    { construct: "nameref (declare -n, bash 4.3)", pattern: /\b(declare|typeset|local)\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*n/ },
    {
        construct: "global declare (declare -g, bash 4.2)",
        pattern: /\b(declare|typeset)\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*g/,
    },
    {
        construct: "case attribute (declare -l/-u, bash 4.0)",
        pattern: /\b(declare|typeset|local)\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*[lu]\b/,
    },
    {
        construct: "case modification ${var,,} ${var^^} (bash 4.0)",
        pattern: /\$\{!?\w+(\[[^\]]*\])?(\^\^?|,,?)[^}]*\}/,
    },
    { construct: "parameter transformation ${var@Q} (bash 4.4)", pattern: /\$\{\w+(\[[^\]]*\])?@[QEPAaKkUuL]\}/ },
    { construct: "case fall-through ;& or ;;& (bash 4.0)", pattern: /;;&|(^|[^;]);&/ },
    { construct: "|& pipe of stderr (bash 4.0)", pattern: /\|&/ },
    { construct: "&>> append redirection (bash 4.0)", pattern: /&>>/ },
    { construct: "coproc (bash 4.0)", pattern: /(^|[\s;&|(])coproc(\s|$)/ },
    {
        construct: "bash-4 shell option (globstar, lastpipe, autocd, ...)",
        pattern:
            /\bshopt\s+-s\b.*\b(globstar|lastpipe|autocd|checkjobs|dirspell|direxpand|globasciiranges|inherit_errexit|localvar_inherit|localvar_unset|assoc_expand_once|compat3[1-9]|compat4\d)\b/,
    },
    {
        construct: "negative array subscript (bash 4.3)",
        pattern: /\$\{\w+\[\s*-\d+\s*\]\}|(^|[\s;])\w+\[\s*-\d+\s*\]=/,
    },
    { construct: "-v test of a set variable (bash 4.2)", pattern: /(\[\[|\[|\btest)\s+(!\s+)?-v\s/ },
    { construct: "printf -v into an array element (bash 4.1)", pattern: /\bprintf\s+-v\s+['"]?\w+\[/ },
    { construct: "brace range with a step {a..b..n} (bash 4.0)", pattern: /\{-?\w+\.\.-?\w+\.\.-?\d+\}/ },
    { construct: "zero-padded brace range {01..10} (bash 4.0)", pattern: /\{-?0\d+\.\.-?\d+\}/ },
    { construct: "negative substring length ${var:o:-n} (bash 4.2)", pattern: /\$\{\w+:[^}:-][^}:]*:\s*-\d+\}/ },
    { construct: "named file descriptor {fd}> (bash 4.1)", pattern: /(^|[^$\w])\{[A-Za-z_]\w*\}(<>|>>|<|>)/ },
    { construct: "wait -n (bash 4.3)", pattern: /\bwait\s+-n\b/ },
    { construct: "local - (bash 4.4)", pattern: /\blocal\s+-(\s*$|\s*;)/ },
    {
        construct: "bash 4/5 variable (BASHPID, EPOCHSECONDS, EPOCHREALTIME, SRANDOM, BASH_ARGV0)",
        pattern: /\$\{?(BASHPID|EPOCHSECONDS|EPOCHREALTIME|SRANDOM|BASH_ARGV0)\b/,
    },
    { construct: "printf %(fmt)T time format (bash 4.2)", pattern: /%\([^)]*\)T/ },
    { construct: "source <(...) (reads nothing on bash 3.2)", pattern: /(^|[\s;&|])(source|\.)\s+<\(/ },
];

/** GNU-only options of tools macOS ships in their BSD form. */
export const GNU_ONLY_RULES: readonly Bash32Rule[] = [
    { construct: "readlink -f (not in macOS before 12.3)", pattern: /\breadlink\s+-[a-zA-Z]*f/ },
    {
        construct: "sed -i without a suffix argument (BSD sed needs -i '')",
        pattern: /\bsed\s+(-[a-zA-Z]+\s+)*-i(\s+-|\s+['"]?s)/,
    },
    { construct: "date -d (GNU date; BSD date uses -j -f)", pattern: /\bdate\s+(-[a-zA-Z]+\s+)*-d\s/ },
    { construct: "grep -P (not in BSD grep)", pattern: /\bgrep\s+(-[a-zA-Z]+\s+)*-[a-zA-Z]*P/ },
    { construct: "stat -c (GNU stat; BSD stat uses -f)", pattern: /\bstat\s+(-[a-zA-Z]+\s+)*-c\b/ },
    { construct: "xargs -r (GNU xargs)", pattern: /\bxargs\s+(-[a-zA-Z0-9]+\s+)*-[a-zA-Z]*r/ },
    { construct: "timeout (GNU coreutils, not on macOS)", pattern: /(^|[\s;&|(])timeout\s+\d/ },
];

/** The line without its comment: a `#` at the start or after whitespace, outside quotes (approximately). */
export function stripComment(line: string): string {
    let quote: string | undefined;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quote !== undefined) {
            if (c === quote) quote = undefined;
            else if (c === "\\" && quote === '"') i++;
        } else if (c === "'" || c === '"') {
            quote = c;
        } else if (c === "\\") {
            i++;
        } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) {
            return line.slice(0, i);
        }
    }
    return line;
}

export interface Bash32Finding {
    readonly line: number;
    readonly construct: string;
    readonly text: string;
}

/** Every line of a script that uses a construct bash 3.2 (or macOS's BSD tools) does not have. */
export function bash32Findings(script: string, rules: readonly Bash32Rule[] = [...BASH4_RULES, ...GNU_ONLY_RULES]) {
    const findings: Bash32Finding[] = [];
    script.split("\n").forEach((raw, i) => {
        const code = stripComment(raw);
        for (const rule of rules) {
            if (rule.pattern.test(code)) {
                findings.push({ line: i + 1, construct: rule.construct, text: raw.trim() });
            }
        }
    });
    return findings;
}
