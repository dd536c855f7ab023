#!/bin/sh
# Builds the package's two wasm builds and their glue:
#   js/pkg/         the whole engine (`@cpm/engine`; cpm-web with its default feature `full`)
#   js/pkg-decide/  the decisions-only runtime (`@cpm/engine/decide`; --no-default-features),
#                   with tzdata.bin, the time-zone data it loads only when a bundle needs it
# each: cargo (profile wasm-release) → wasm-bindgen --target web → wasm-opt -Oz (npm `binaryen`);
#   CPM_WASM_PROFILE=wasm-speed: opt-level 3 and wasm-opt -O3 instead.
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-cli at the crate's exact version
# (crates/cpm-web/Cargo.toml), and `npm ci` run in js/ (for wasm-opt).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$here/.." && pwd)
want=$(sed -n 's/^wasm-bindgen = "=\(.*\)"$/\1/p' "$root/crates/cpm-web/Cargo.toml")
have=$(wasm-bindgen --version 2>/dev/null | sed 's/^wasm-bindgen //' || true)
if [ "$have" != "$want" ]; then
  echo "build.sh: wasm-bindgen $want is needed (found: ${have:-none}); run: cargo install wasm-bindgen-cli --version $want" >&2
  exit 1
fi
cd "$root"
# CPM_WASM_PROFILE=wasm-speed builds for speed (opt-level 3, wasm-opt -O3) instead of size.
profile=${CPM_WASM_PROFILE:-wasm-release}
case "$profile" in
  wasm-release) shrink=-Oz ;;
  wasm-speed) shrink=-O3 ;;
  *) echo "build.sh: CPM_WASM_PROFILE must be wasm-release (smallest, the default) or wasm-speed" >&2; exit 1 ;;
esac
# wasm-opt 132 from npm (Debian's binaryen 108 breaks wasm-bindgen's externref table).
# The features match what rustc enables by default for wasm32-unknown-unknown.
shrink_wasm() {
  "$here/node_modules/.bin/wasm-opt" "$shrink" --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$1" -o "$1"
  ls -l "$1"
}
# Both builds write target/…/cpm_web.wasm: each is turned into its package folder before the
# next cargo build replaces it.
cargo build --locked -p cpm-web --target wasm32-unknown-unknown --profile "$profile"
rm -rf "$here/pkg"
wasm-bindgen --target web --out-dir "$here/pkg" \
  "target/wasm32-unknown-unknown/$profile/cpm_web.wasm"
shrink_wasm "$here/pkg/cpm_web_bg.wasm"
cargo build --locked -p cpm-web --no-default-features --target wasm32-unknown-unknown --profile "$profile"
rm -rf "$here/pkg-decide"
wasm-bindgen --target web --out-dir "$here/pkg-decide" --out-name cpm_web_decide \
  "target/wasm32-unknown-unknown/$profile/cpm_web.wasm"
shrink_wasm "$here/pkg-decide/cpm_web_decide_bg.wasm"
# The decide build has no tz database compiled in: the zone data it loads when a bundle could
# meet a named zone, from this (native) build's database, shipped gzipped (~30 KB).
cargo run -q --locked -p cpm-cli -- tzdata -o "$here/pkg-decide/tzdata.raw"
gzip -9 -n -c "$here/pkg-decide/tzdata.raw" > "$here/pkg-decide/tzdata.bin"
rm "$here/pkg-decide/tzdata.raw"
ls -l "$here/pkg-decide/tzdata.bin"
# The example page's rules bundle, built natively as a site would ship it.
cargo run -q --locked -p cpm-cli -- build examples/customer -o "$here/examples/customer.cpm"
