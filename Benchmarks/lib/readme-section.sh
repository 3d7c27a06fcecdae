# Sourced by Benchmarks/*/run.sh: replace (or append) one marked section of Benchmarks/README.md.
#   write_readme_section ROOT NAME SECTION_TEXT SCRATCH_DIR
# The section sits between <!-- bench:NAME:start --> and <!-- bench:NAME:end -->.
write_readme_section() {
    local root=$1 name=$2 section=$3 scratch=$4
    local readme=$root/Benchmarks/README.md
    [ -f "$readme" ] || printf '# Benchmarks\n\nReproducible benchmarks of mpesa-recon against named baselines, measured in the same run (docs/ARCHITECTURE.md §10).\nEach section is written by its own `Benchmarks/<name>/run.sh`.\n' >"$readme"
    local start="<!-- bench:$name:start -->"
    local end="<!-- bench:$name:end -->"
    printf '%s\n%s\n%s\n' "$start" "$section" "$end" >"$scratch/section.md"
    if grep -qF "$start" "$readme"; then
        awk -v start="$start" -v end="$end" -v file="$scratch/section.md" '
            $0 == start { while ((getline line < file) > 0) print line; skip = 1; next }
            $0 == end { skip = 0; next }
            !skip { print }' "$readme" >"$scratch/README.new"
        mv "$scratch/README.new" "$readme"
    else
        printf '\n' >>"$readme"
        cat "$scratch/section.md" >>"$readme"
    fi
}
