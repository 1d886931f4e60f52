/**
 * Recordings to locate from: drop KiwiSDR IQ WAV files or SigMF pairs (and, for files without
 * positions, a receivers JSON like `heimdall locate --receivers`) onto the page, or choose them. The
 * server runs the recordings pipeline on them (POST /localize/recordings).
 */
import { useState, type DragEvent, type FormEvent } from 'react';
import type { Receiver } from '../../api/types';
import { FormError } from '../../components/Field';
import { formatBytes } from '../../components/format';

export interface RecordingsInput {
  files: File[];
  /** A dropped receivers JSON, as text. */
  receiversJson: string | null;
  receiversName: string | null;
}

interface Props {
  input: RecordingsInput;
  onChange: (input: RecordingsInput) => void;
  networkReceivers: Receiver[];
  networkName?: string;
  errors: Record<string, string>;
  formError?: string;
  submitting: boolean;
  unavailable?: string;
  onSubmit: (event: FormEvent) => void;
}

const isJson = (file: File) => file.name.toLowerCase().endsWith('.json');

/** A file's text (FileReader: works wherever File does). */
function readText(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsText(file);
  });
}

/** Receiver positions for the upload: a dropped JSON wins; else the network's receivers, by name. */
export function receiversFor(input: RecordingsInput, networkReceivers: Receiver[]): { json: string | null; source: string } {
  if (input.receiversJson) return { json: input.receiversJson, source: input.receiversName ?? 'the receivers file' };
  if (!networkReceivers.length) return { json: null, source: 'the files themselves' };
  const receivers = networkReceivers.map((r) => ({ id: r.name, lat: r.lat, lon: r.lon, alt_m: r.alt_m }));
  return { json: JSON.stringify({ receivers }), source: 'the network (by receiver name), else the files themselves' };
}

export async function addFiles(input: RecordingsInput, incoming: File[]): Promise<RecordingsInput> {
  const next: RecordingsInput = { ...input, files: [...input.files] };
  for (const file of incoming) {
    if (isJson(file) && !file.name.endsWith('.sigmf-meta')) {
      next.receiversJson = await readText(file);
      next.receiversName = file.name;
    } else if (!next.files.some((f) => f.name === file.name)) {
      next.files.push(file);
    }
  }
  return next;
}

export function RecordingsDrop({ input, onChange, networkReceivers, networkName, errors, ...form }: Props) {
  const [over, setOver] = useState(false);
  const take = async (files: FileList | null | undefined) => files && onChange(await addFiles(input, [...files]));
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    void take(event.dataTransfer?.files);
  };
  const positions = receiversFor(input, networkReceivers);
  return (
    <form className="form form-wide" onSubmit={form.onSubmit} noValidate aria-label="Recordings">
      <div className={`dropzone${over ? ' dropzone-over' : ''}${errors.recordings ? ' field-invalid' : ''}`} data-testid="dropzone"
        onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={onDrop}>
        <p>Drop simultaneous recordings here: KiwiSDR IQ WAV files (with GNSS timestamps) or SigMF
          <code>.sigmf-meta</code> + <code>.sigmf-data</code> pairs, and optionally a receivers JSON.</p>
        <label className="button-like">
          Choose files…
          <input type="file" multiple className="visually-hidden" aria-describedby={errors.recordings ? 'field-recordings-error' : undefined}
            accept=".wav,.sigmf-meta,.sigmf-data,.json" onChange={(e) => void take(e.target.files)} />
        </label>
      </div>
      {errors.recordings && <small className="field-error" id="field-recordings-error" role="alert">{errors.recordings}</small>}
      {input.files.length > 0 && (
        <ul className="file-list" aria-label="Chosen recordings">
          {input.files.map((file) => (
            <li key={file.name}>
              <span>{file.name}</span> <span className="muted">{formatBytes(file.size)}</span>{' '}
              <button type="button" aria-label={`Remove ${file.name}`}
                onClick={() => onChange({ ...input, files: input.files.filter((f) => f !== file) })}>Remove</button>
            </li>
          ))}
        </ul>
      )}
      <p className="muted">
        Receiver positions: {positions.source}
        {input.receiversName && (
          <> <button type="button" onClick={() => onChange({ ...input, receiversJson: null, receiversName: null })}>
            Forget {input.receiversName}</button></>
        )}
        {!input.receiversName && networkName && <> ({networkName})</>}
      </p>
      {errors.receivers && <small className="field-error" id="field-receivers-error" role="alert">{errors.receivers}</small>}
      <div className="row">
        <button type="submit" disabled={form.submitting || Boolean(form.unavailable)} title={form.unavailable}>
          {form.submitting ? 'Locating…' : 'Locate from recordings'}
        </button>
      </div>
      <FormError message={form.unavailable ?? form.formError} />
    </form>
  );
}
