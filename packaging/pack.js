#!/usr/bin/env node
// Packs the `tamga` command into one tarball that installs without the repository (docs/decisions/0029):
//
//   npm run pack                      # writes packaging/out/tamga-cli-<version>.tgz
//   npm install -g ./tamga-cli-<version>.tgz  (or npm install ./tamga-cli-<version>.tgz in a project)
//
// The tarball is @tamga/cli with Tamga's own packages (@tamga/core, @tamga/server, @tamga/sdk) bundled inside it
// (bundleDependencies: they are not on a registry), the built journal page and the built-in catalogues inside
// @tamga/server, and every third-party dependency declared so npm installs it from the registry (or its cache) for the
// machine it installs on: better-sqlite3 is built there, not shipped as a binary of this machine.
//
// It packs what `npm run build` built: run that first (`npm run pack` does).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = resolve(process.argv[2] ?? join(root, 'packaging', 'out'));
const BUNDLED = ['core', 'server', 'sdk'];

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const fail = (message) => {
  process.stderr.write(`pack: ${message}\n`);
  process.exit(1);
};

/** A package.json as installed: no `source` export condition (its src is not shipped), no scripts or dev dependencies. */
function installedManifest(manifest, extra = {}) {
  const rest = { ...manifest };
  for (const key of ['devDependencies', 'scripts', 'files']) delete rest[key];
  const strip = (exports) =>
    typeof exports === 'object' && exports !== null
      ? Object.fromEntries(Object.entries(exports).filter(([k]) => k !== 'source').map(([k, v]) => [k, strip(v)]))
      : exports;
  return { ...rest, ...(rest.exports !== undefined && { exports: strip(rest.exports) }), license: 'Apache-2.0', ...extra };
}

/** Copies a package's built output (no build info, no test helpers) into `to`. */
function copyBuilt(pkgDir, to) {
  const dist = join(pkgDir, 'dist');
  if (!existsSync(join(dist, 'index.js'))) fail(`${dist} is not built: run "npm run build" first`);
  cpSync(dist, join(to, 'dist'), {
    recursive: true,
    filter: (src) => !src.endsWith('.tsbuildinfo') && !/[\\/]test-support([\\/]|$)/.test(src) && !/\.test\.(js|d\.ts)(\.map)?$/.test(src),
  });
}

const stage = mkdtempSync(join(tmpdir(), 'tamga-pack-'));
try {
  const cli = readJson(join(root, 'packages/cli/package.json'));
  const dependencies = {};
  for (const name of BUNDLED) {
    const dir = join(root, 'packages', name);
    const manifest = readJson(join(dir, 'package.json'));
    const to = join(stage, 'node_modules', '@tamga', name);
    mkdirSync(to, { recursive: true });
    copyBuilt(dir, to);
    writeFileSync(join(to, 'package.json'), `${JSON.stringify(installedManifest(manifest), null, 2)}\n`);
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (!dep.startsWith('@tamga/')) dependencies[dep] = range;
    }
    if (name === 'server') {
      // The server looks for both next to its dist/ before the repository's folders.
      const ui = join(root, 'packages/ui/dist');
      if (!existsSync(join(ui, 'index.html'))) fail(`${ui} is not built: run "npm run build" first`);
      cpSync(ui, join(to, 'ui'), { recursive: true });
      cpSync(join(root, 'catalogs'), join(to, 'catalogs'), { recursive: true });
    }
  }
  copyBuilt(join(root, 'packages/cli'), stage);
  cpSync(join(root, 'packages/cli/bin'), join(stage, 'bin'), { recursive: true });
  for (const file of ['LICENSE', 'README.md']) cpSync(join(root, file), join(stage, file));
  cpSync(join(root, 'packaging/tamga.service'), join(stage, 'packaging/tamga.service'));
  const bundled = BUNDLED.map((name) => `@tamga/${name}`);
  const manifest = installedManifest(cli, {
    description: 'Tamga: a tamper-evident journal of audit and security events (server, journal page and CLI)',
    engines: readJson(join(root, 'package.json')).engines,
    files: ['bin', 'dist', 'packaging', 'LICENSE', 'README.md'],
    dependencies: { ...Object.fromEntries(Object.entries(dependencies).sort()), ...Object.fromEntries(bundled.map((b) => [b, cli.version])) },
    bundleDependencies: bundled,
  });
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  mkdirSync(out, { recursive: true });
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: stage, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [{ filename, size, entryCount }] = JSON.parse(json);
  process.stdout.write(`${join(out, basename(filename))}  (${(size / 1024 / 1024).toFixed(1)} MiB, ${entryCount} files)\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
