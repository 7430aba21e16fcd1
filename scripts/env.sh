# Sourced by the scripts: where builds go and which tools come first.
# Builds live outside the clone so later clones and CI runs reuse them.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/petri-target}
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
