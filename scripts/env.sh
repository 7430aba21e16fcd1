# Sourced by the scripts: where builds go and which tools come first.
# Builds live outside the clone so later clones and CI runs reuse them.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/petri-target}
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Cargo judges freshness by modification time. When another checkout sharing this cache built
# last, its artifacts can be newer than this checkout's different sources and would be reused
# as they are; so on a switch of checkout, make this one's sources the newest. When the cache
# holds a passing `scripts/test` of exactly these contents (a CI run in a new clone of what was
# tested before), date the sources back to that run's instead, so that nothing is rebuilt.
# petri_inputs: the hash of every file a build or test reads (the docs left out).
petri_inputs() {
  { git ls-files -z --cached --others --exclude-standard | grep -zv -e '^README\.md$' -e '^docs/' |
    sort -z | xargs -0 sha256sum 2>/dev/null || true; } | sha256sum | cut -c1-64
}
petri_inputs_record="$CARGO_TARGET_DIR/.tested-inputs"
petri_checkout_marker="$CARGO_TARGET_DIR/.last-checkout"
petri_inputs_now=$(git rev-parse --is-inside-work-tree >/dev/null 2>&1 && petri_inputs || echo none)
read -r petri_tested_inputs petri_tested_epoch 2>/dev/null < "$petri_inputs_record" || true
if [ "$petri_inputs_now" != none ] && [ "$petri_inputs_now" = "${petri_tested_inputs:-}" ]; then
  git ls-files -z --cached --others --exclude-standard | xargs -0 touch -c -d "@$petri_tested_epoch"
elif [ "$(cat "$petri_checkout_marker" 2>/dev/null)" != "$PWD" ]; then
  rm -f "$petri_inputs_record" # the cache is about to hold other contents
  find src tests assets www -type f -exec touch {} + 2>/dev/null || true
  touch -c Cargo.toml index.html
else
  rm -f "$petri_inputs_record"
fi
mkdir -p "$CARGO_TARGET_DIR"
echo "$PWD" >"$petri_checkout_marker"
unset petri_checkout_marker petri_tested_inputs petri_tested_epoch
