# bash completion for parsweep (installed as share/bash-completion/completions/parsweep).
# Subcommands and their options, as harness/cli/main.cpp and harness/cli/plot_command.cpp declare
# them; config arguments complete to *.json files, run arguments to directories.

_parsweep_subcommands="run validate list schema info calibrate corpus slurm merge plot compare help"

# The options of subcommand $1.
_parsweep_options() {
    case "$1" in
        run) echo "--resume --out --results --cores -q --quiet --no-calibrate --part --repetitions --warmup --only --export-markdown --allow-changed-inputs --help" ;;
        validate) echo "--cores --help" ;;
        list) echo "--json --all --help" ;;
        schema) echo "--help" ;;
        info) echo "--json --cores --help" ;;
        calibrate) echo "--cores --json --out --quick --force --help" ;;
        corpus) echo "--size --from --seed --out --help" ;;
        slurm) echo "--parts --nodes --cpus-per-task --time --partition --account --out --results --submit --help" ;;
        merge) echo "--out --force --replace --dedupe --class --label -q --quiet --export-markdown --help" ;;
        plot) echo "--out --formats --python --no-report --all-charts --if-python --help" ;;
        compare) echo "--out --formats --python --help" ;;
        help) echo "--help" ;;
    esac
}

_parsweep() {
    local cur prev sub i
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    sub=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            -*) ;;
            *) sub="${COMP_WORDS[i]}"; break ;;
        esac
    done

    if [[ -z "$sub" ]]; then
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_parsweep_subcommands" -- "$cur"))
        fi
        return 0
    fi

    # The value of the option before the cursor.
    case "$prev" in
        --resume|--results)
            COMPREPLY=($(compgen -d -- "$cur")); return 0 ;;
        --out)
            case "$sub" in
                calibrate|corpus) COMPREPLY=($(compgen -f -- "$cur")) ;;
                *) COMPREPLY=($(compgen -d -- "$cur")) ;;
            esac
            return 0 ;;
        --from|--python|--export-markdown)
            COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
        --formats)
            COMPREPLY=($(compgen -W "png svg pdf png,svg png,pdf svg,pdf" -- "$cur")); return 0 ;;
        --cores|--part|--parts|--nodes|--cpus-per-task|--time|--partition|--account|--size|--label|--seed|--repetitions|--warmup|--only)
            return 0 ;;
    esac

    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_parsweep_options "$sub")" -- "$cur"))
        return 0
    fi
    case "$sub" in
        run|validate|slurm)  # a config: *.json files, and directories to look in
            COMPREPLY=($(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur")) ;;
        merge|plot|compare)  # run directories
            COMPREPLY=($(compgen -d -- "$cur")) ;;
        help)  # a command
            COMPREPLY=($(compgen -W "$_parsweep_subcommands" -- "$cur")) ;;
    esac
    return 0
}

complete -o filenames -F _parsweep parsweep
