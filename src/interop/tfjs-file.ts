/**
 * TF.js Layers models on disk (Node): model.json and the weight shards its weightsManifest
 * names, each path relative to model.json's folder.
 *
 *   const model = loadTfjsLayersModel('exported/model.json');
 *   model.predict(x);
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { FormatError } from '../errors.js';
import type { Model } from '../layers/model.js';
import { parseTfjsLayersModel, readTfjsWeightManifest } from './tfjs.js';

function readOrThrow(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new FormatError(
      path,
      `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

/** Where a shard named in the manifest lives; URLs and absolute paths are refused. */
function shardPath(modelJsonPath: string, shard: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(shard) || isAbsolute(shard)) {
    throw new FormatError(modelJsonPath, `weight shard '${shard}' is not a path relative to model.json`);
  }
  return resolve(dirname(modelJsonPath), shard);
}

/**
 * Reads a TF.js Layers model saved as model.json + weight shards (`model.save('file://dir')` in
 * tfjs-node, `tensorflowjs_converter`, or the browser's downloads) into a Keras-style model with
 * the same architecture and weights; see `parseTfjsLayersModel`. The shards' sizes are checked
 * against the manifest before any is read: a truncated shard is a FormatError naming it.
 */
export function loadTfjsLayersModel(modelJsonPath: string): Model {
  const text = readOrThrow(modelJsonPath).toString('utf8');
  let modelJson: unknown;
  try {
    modelJson = JSON.parse(text);
  } catch (error) {
    throw new FormatError(modelJsonPath, `is not valid JSON (${(error as Error).message})`);
  }
  const manifest = readTfjsWeightManifest(modelJson, modelJsonPath);
  // Sizes first: nothing is read or allocated for weights the files cannot hold.
  const groups = manifest.groups.map((group, g) => {
    const files = group.paths.map((p) => {
      const path = shardPath(modelJsonPath, p);
      let size: number;
      try {
        const stat = statSync(path);
        if (!stat.isFile()) throw new FormatError(path, 'is not a file');
        size = stat.size;
      } catch (error) {
        if (error instanceof FormatError) throw error;
        throw new FormatError(
          path,
          `weight shard of ${modelJsonPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        );
      }
      return { path, size };
    });
    const total = files.reduce((n, f) => n + f.size, 0);
    if (total !== group.byteLength) {
      const names =
        group.weights.length > 4 ? `${group.weights.slice(0, 4).join(', ')}, ...` : group.weights.join(', ');
      const what = `${total < group.byteLength ? 'truncated: it holds' : 'it holds'} ${total} bytes, but weightsManifest[${g}] of ${modelJsonPath} needs ${group.byteLength} for ${group.weights.length} weight(s) (${names})`;
      if (files.length === 1) throw new FormatError(files[0]!.path, what);
      throw new FormatError(
        modelJsonPath,
        `weight shards ${files.map((f) => f.path).join(', ')}: ${what.replace('it holds', 'they hold')}`,
      );
    }
    return files;
  });
  const data = new Uint8Array(manifest.byteLength);
  let offset = 0;
  for (const files of groups) {
    for (const f of files) {
      const bytes = readOrThrow(f.path);
      if (bytes.byteLength !== f.size)
        throw new FormatError(f.path, `changed while being read (${f.size} bytes, then ${bytes.byteLength})`);
      data.set(bytes, offset);
      offset += bytes.byteLength;
    }
  }
  return parseTfjsLayersModel(modelJson, data, modelJsonPath);
}
