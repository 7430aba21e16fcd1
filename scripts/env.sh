# Sourced by the scripts: where builds go and which tools come first.
# Builds live outside the clone so later clones and CI runs reuse them.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/petri-target}
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Cargo judges freshness by modification time. When another checkout sharing this cache built
# last, its artifacts can be newer than this checkout's different sources and would be reused
# as they are; so on a switch of checkout, make this one's sources the newest.
petri_checkout_marker="$CARGO_TARGET_DIR/.last-checkout"
if [ "$(cat "$petri_checkout_marker" 2>/dev/null)" != "$PWD" ]; then
  find src tests assets www -type f -exec touch {} + 2>/dev/null || true
  touch -c Cargo.toml index.html
  mkdir -p "$CARGO_TARGET_DIR"
  echo "$PWD" >"$petri_checkout_marker"
fi
unset petri_checkout_marker
