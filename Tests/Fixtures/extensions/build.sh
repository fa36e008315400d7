#!/usr/bin/env bash
# Builds the extension-host test fixtures into OUT: the well-behaved "probe", one library per
# refusal the host must make, an extension built against the pinned 1.0 header, and the ABI
# layout printer.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
mkdir -p "$out"
sdk="$here/../../../SDK/include"
flags=(-std=c99 -Wall -Wextra -Werror -pedantic -Wno-unused-function -O1 -fPIC -shared -fvisibility=hidden)

cc "${flags[@]}" -I "$sdk" -o "$out/libprobe.so" "$here/probe.c"
for variant in MAJOR MINOR TOOLCHAIN INIT NO_INIT TRIGGER DUPLICATE MIGRATION MIGRATION_VERSION SCOPE; do
  name=$(echo "$variant" | tr 'A-Z' 'a-z')
  cc "${flags[@]}" -I "$sdk" -DBAD_"$variant" -DPROBE_NAME="\"bad_$name\"" -o "$out/libbad_$name.so" "$here/probe.c"
done
# Built against the 1.0 header: smaller structs, no manifest, no entity sets.
cc "${flags[@]}" -I "$here/../sdk-1.0" -DOLD_MINOR -DPROBE_NAME="\"old_minor\"" -DOP_PREFIX="\"Old\"" -o "$out/libold_minor.so" "$here/probe.c"
printf 'this is not a shared library\n' > "$out/libnot_elf.so"
cc -std=c99 -Wall -Wextra -Werror -pedantic -I "$sdk" -o "$out/abi_layout" "$here/abi_layout.c"
c++ -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ "$sdk/commerce_sdk.h"
