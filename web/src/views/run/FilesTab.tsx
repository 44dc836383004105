// The run's files as a tree; a file previews as text, JSON, a CSV table or an image, and downloads.
import type { JSX } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import type { ApiError } from "../../api/http";
import { type ArtifactDocument, fileUrl, listFiles, type RunDocument, readFileText } from "../../api/run";
import { setQuery, useLocation } from "../../router";
import { ErrorBox } from "../states";

type Folder = { folders: Map<string, Folder>; files: ArtifactDocument[] };

function tree(files: ArtifactDocument[]): Folder {
  const root: Folder = { folders: new Map(), files: [] };
  for (const file of files) {
    const parts = file.name.split("/");
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let next = folder.folders.get(part);
      if (!next) {
        next = { folders: new Map(), files: [] };
        folder.folders.set(part, next);
      }
      folder = next;
    }
    folder.files.push(file);
  }
  return root;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

export function FilesTab(props: { run: RunDocument; version: number }): JSX.Element {
  const [files, setFiles] = useState<ArtifactDocument[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const chosen = useLocation().query.get("file");
  useEffect(() => {
    listFiles(props.run.id).then(setFiles).catch(setError);
  }, [props.run.id, props.version]);
  const root = useMemo(() => tree(files ?? []), [files]);
  if (error) return <ErrorBox error={error} />;
  if (!files) return <p class="muted">Loading files…</p>;
  if (files.length === 0)
    return <p class="muted">No files (run.upload_file(name, path), or write to ./outputs).</p>;
  const file = files.find((f) => f.name === chosen);
  return (
    <section class="files-tab">
      <nav class="file-tree" aria-label="files">
        <FolderView folder={root} path="" chosen={chosen} />
      </nav>
      <div class="file-preview">
        {file ? <Preview run={props.run} file={file} /> : <p class="muted">Choose a file.</p>}
      </div>
    </section>
  );
}

function FolderView(props: { folder: Folder; path: string; chosen: string | null }): JSX.Element {
  return (
    <ul>
      {[...props.folder.folders].map(([name, folder]) => (
        <li key={name}>
          <details open>
            <summary>{name}/</summary>
            <FolderView folder={folder} path={`${props.path}${name}/`} chosen={props.chosen} />
          </details>
        </li>
      ))}
      {props.folder.files.map((file) => (
        <li key={file.name}>
          <button
            type="button"
            class={file.name === props.chosen ? "file selected" : "file"}
            onClick={() => setQuery({ file: file.name })}
          >
            {file.name.slice(props.path.length)}
          </button>{" "}
          <span class="muted">{size(file.size)}</span>
        </li>
      ))}
    </ul>
  );
}

function kindOf(file: ArtifactDocument): "image" | "json" | "csv" | "text" | "binary" {
  const name = file.name.toLowerCase();
  if (file.content_type.startsWith("image/")) return "image";
  if (name.endsWith(".json") || file.content_type === "application/json") return "json";
  if (name.endsWith(".csv") || name.endsWith(".tsv")) return "csv";
  if (file.content_type.startsWith("text/") || /\.(txt|log|md|py|yaml|yml|toml|cfg|ini|sh)$/.test(name))
    return "text";
  return "binary";
}

function Preview({ run, file }: { run: RunDocument; file: ArtifactDocument }): JSX.Element {
  const kind = kindOf(file);
  const [text, setText] = useState<{ text: string; whole: boolean } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    setText(null);
    setError(null);
    if (kind === "image" || kind === "binary") return;
    readFileText(run.id, file.name).then(setText).catch(setError);
  }, [run.id, file.name, kind]);
  const url = fileUrl(run.id, file.name);
  return (
    <div>
      <header class="preview-header">
        <b>{file.name}</b> <span class="muted">{size(file.size)}</span>{" "}
        <a href={url} download={file.name.split("/").pop()}>
          Download
        </a>
      </header>
      {error && <ErrorBox error={error} />}
      {kind === "image" && <img class="preview-image" src={url} alt={file.name} />}
      {kind === "binary" && <p class="muted">No preview for {file.content_type}.</p>}
      {text && kind === "json" && <pre class="preview-text">{prettyJson(text.text, text.whole)}</pre>}
      {text && kind === "csv" && (
        <CsvTable text={text.text} separator={file.name.endsWith(".tsv") ? "\t" : ","} />
      )}
      {text && kind === "text" && <pre class="preview-text">{text.text}</pre>}
      {text && !text.whole && <p class="muted">The first part of the file; download it for the rest.</p>}
    </div>
  );
}

function prettyJson(text: string, whole: boolean): string {
  if (!whole) return text;
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function parseCsv(text: string, separator: string, limit: number): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length && rows.length < limit; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      row.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if ((cell || row.length) && rows.length < limit) rows.push([...row, cell]);
  return rows;
}

function CsvTable({ text, separator }: { text: string; separator: string }): JSX.Element {
  const [head = [], ...rows] = parseCsv(text, separator, 501);
  return (
    <div class="grid-scroll">
      <table class="data-grid csv">
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (
                <td key={j}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
