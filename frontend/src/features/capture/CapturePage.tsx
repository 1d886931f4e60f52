/**
 * Capture, for people (issue 15): pick KiwiSDRs on the map (with their health) or a network, a
 * frequency, a duration and maybe a start time; plan (ranking, warnings), start, watch each receiver
 * live, and see the fix with its ellipses and the TDoA hyperbolas of each pair. Past captures below,
 * with their waterfalls, recordings, re-locate and delete.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { Capture, CapturePlan, CreatedCapture } from '../../api/captureTypes';
import { api } from '../../api/endpoints';
import { useJob, useNetworks, useReceivers } from '../../api/queries';
import { queryKeys } from '../../api/queryKeys';
import type { Job, OverlayCollection, Receiver } from '../../api/types';
import { formatPosition } from '../../components/format';
import {
  FixesLayer, HealthLegend, MapView, OverlaysLayer, ReceiversLayer, toMapReceiver, type MapFix, type MapReceiver,
} from '../../components/map';
import { useSubmit } from '../../components/useSubmit';
import { ErrorNotice, isUnavailable } from '../../components/Unavailable';
import { useTopics } from '../../events/react';
import { CaptureForm } from './CaptureForm';
import { CaptureList } from './CaptureList';
import { CaptureView } from './CaptureView';
import { captureBody, EMPTY_FORM, FORM_FIELDS, isActive, planBody, validateForm, verdicts, type CaptureForm as FormState } from './model';
import { PlanView } from './PlanView';

function outlierReasons(overlays: OverlayCollection | undefined): Record<string, string> {
  return Object.fromEntries((overlays?.features ?? [])
    .filter((f) => f.properties.kind === 'receiver' && f.properties.reason)
    .map((f) => [f.properties.receiver, String(f.properties.reason)]));
}

function mapReceivers(kiwis: Receiver[], chosen: Set<string>, capture: Capture | undefined, reasons: Record<string, string>): MapReceiver[] {
  const rejected = new Map((capture?.localization || (capture && !isActive(capture.status)) ? verdicts(capture, reasons) : [])
    .filter((v) => v.verdict !== 'used' && v.verdict !== 'not used').map((v) => [v.receiverId, v]));
  return kiwis.map((r) => {
    const verdict = rejected.get(r.id);
    return { ...toMapReceiver(r), selected: chosen.has(r.id), outlier: Boolean(verdict),
      reason: verdict ? `${verdict.verdict}: ${verdict.reason ?? 'no reason given'}` : null };
  });
}

function bounds(receivers: MapReceiver[], fix: MapFix | undefined): [number, number, number, number] | null {
  const points = [...receivers.map((r) => [r.lon, r.lat]), ...(fix ? [[fix.lon, fix.lat]] : [])];
  if (!points.length) return null;
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

function useSelectedCapture(selected: string | null) {
  const capture = useQuery({
    queryKey: queryKeys.captures.detail(selected ?? ''), queryFn: () => api.getCapture(selected!), enabled: Boolean(selected),
  });
  const job = useJob(capture.data?.job_id);
  const localizationId = capture.data?.localization_id ?? capture.data?.localization?.id ?? null;
  // A capture that names its fix without embedding it: fetch the stored localization.
  const fix = useQuery({
    queryKey: queryKeys.localizations.detail(localizationId ?? ''), queryFn: () => api.getLocalization(localizationId!),
    enabled: Boolean(localizationId) && !capture.data?.localization, staleTime: Infinity,
  });
  const overlays = useQuery({
    queryKey: queryKeys.localizations.overlays(localizationId ?? ''), queryFn: () => api.localizationOverlays(localizationId!),
    enabled: Boolean(localizationId), staleTime: Infinity, retry: false,
  });
  const data = capture.data && !capture.data.localization && fix.data ? { ...capture.data, localization: fix.data } : capture.data;
  return { capture: { data, error: capture.error ?? fix.error }, job, overlays };
}

function useCaptureForms(form: FormState, onStarted: (created: CreatedCapture) => void) {
  const [plan, setPlan] = useState<{ plan: CapturePlan; frequencyHz: number } | null>(null);
  const [last, setLast] = useState<'plan' | 'start'>('start');
  const planSubmit = useSubmit({
    fields: FORM_FIELDS, validate: () => validateForm(form, { forPlan: true }),
    send: async () => {
      setLast('plan');
      const body = planBody(form);
      return { plan: await api.planCapture(body), frequencyHz: body.frequency_hz };
    },
    onSuccess: setPlan,
  });
  const startSubmit = useSubmit({
    fields: FORM_FIELDS, validate: () => validateForm(form),
    send: () => { setLast('start'); return api.createCapture(captureBody(form)); },
    onSuccess: onStarted,
  });
  const shown = last === 'plan' ? planSubmit : startSubmit;
  return { plan, planSubmit, startSubmit, errors: shown.errors, formError: shown.formError };
}

function useCaptureMap(kiwis: Receiver[], chosen: Set<string>, capture: Capture | undefined, overlays: OverlayCollection | undefined) {
  const reasons = useMemo(() => outlierReasons(overlays), [overlays]);
  const shown = useMemo(() => mapReceivers(kiwis, chosen, capture, reasons), [kiwis, chosen, capture, reasons]);
  const fix = capture?.localization;
  const fixes = useMemo<MapFix[]>(() => (fix ? [{ key: fix.id ?? 'capture', lat: fix.lat, lon: fix.lon, ellipses: fix.ellipses,
    latest: true, label: `capture fix · ${formatPosition(fix.lat, fix.lon)}` }] : []), [fix]);
  const fitTo = useMemo(() => {
    const inCapture = new Set(capture?.receiver_ids ?? []);
    return bounds(shown.filter((r) => r.selected || inCapture.has(r.id)), fixes[0]) ?? bounds(shown, undefined);
  }, [shown, fixes, capture]);
  return { reasons, shown, fixes, fitTo };
}

function CaptureMap({ name, receivers, fixes, overlays, fitTo, onSelect }: {
  name: string; receivers: MapReceiver[]; fixes: MapFix[]; overlays: OverlayCollection | undefined;
  fitTo: [number, number, number, number] | null; onSelect: (id: string) => void;
}) {
  return (
    <>
      <MapView label="Capture map" height={520} fitTo={fitTo} exportName={name}>
        <OverlaysLayer overlays={overlays ?? null} id="capture-overlays" />
        <FixesLayer fixes={fixes} id="capture-fix" />
        <ReceiversLayer receivers={receivers} onSelect={onSelect} />
      </MapView>
      <div className="legends"><HealthLegend outliers /></div>
    </>
  );
}

export default function CapturePage() {
  const cache = useQueryClient();
  const receivers = useReceivers();
  const networks = useNetworks();
  const [form, setForm] = useState<FormState>(EMPTY_FORM);
  const [selected, setSelected] = useState<string | null>(null);
  const { capture, job, overlays } = useSelectedCapture(selected);
  const active = isActive(job.data?.status ?? capture.data?.status);
  useTopics(['captures', 'receivers', 'networks', 'localizations', active && capture.data?.job_id && `job:${capture.data.job_id}`]);
  const onStarted = ({ capture: created, job: startedJob }: CreatedCapture) => {
    cache.setQueryData<Capture>(queryKeys.captures.detail(created.id), created);
    cache.setQueryData<Job>(queryKeys.jobs.detail(startedJob.id), startedJob);
    void cache.invalidateQueries({ queryKey: queryKeys.captures.lists() });
    setSelected(created.id);
  };
  const { plan, planSubmit, startSubmit, errors, formError } = useCaptureForms(form, onStarted);
  const kiwis = useMemo(() => (receivers.data?.items ?? []).filter((r) => r.kind === 'kiwisdr'), [receivers.data]);
  const network = networks.data?.items.find((n) => n.id === form.networkId);
  const chosen = useMemo(() => new Set(network ? network.receiver_ids : form.receiverIds), [network, form.receiverIds]);
  const map = useCaptureMap(kiwis, chosen, capture.data, overlays.data);
  const toggle = (id: string) => {
    if (form.networkId) return; // a network's members are fixed here
    setForm({ ...form, receiverIds: form.receiverIds.includes(id) ? form.receiverIds.filter((x) => x !== id) : [...form.receiverIds, id] });
  };
  return (
    <div className="page">
      <div className="localize-layout">
        <div className="localize-input">
          {receivers.error ? <ErrorNotice error={receivers.error} /> : null}
          <CaptureForm receivers={kiwis} networks={networks.data?.items ?? []} state={form} onChange={setForm} errors={errors}
            formError={formError} busy={planSubmit.submitting || startSubmit.submitting}
            planUnavailable={planSubmit.unavailable} startUnavailable={startSubmit.unavailable}
            onPlan={() => void planSubmit.onSubmit()} onStart={(e) => void startSubmit.onSubmit(e)} />
          {plan && <PlanView plan={plan.plan} frequencyHz={plan.frequencyHz} />}
          {capture.data && <CaptureView capture={capture.data} job={job.data} outlierReasons={map.reasons} />}
          {capture.error ? <ErrorNotice error={capture.error} /> : null}
          {overlays.error && !isUnavailable(overlays.error) ? <ErrorNotice error={overlays.error} /> : null}
        </div>
        <div className="localize-map">
          <CaptureMap name={selected ? `capture-${selected}` : 'capture'} receivers={map.shown} fixes={map.fixes}
            overlays={overlays.data} fitTo={map.fitTo} onSelect={toggle} />
          <section aria-label="Past captures" className="card">
            <h2>Past captures</h2>
            <CaptureList selected={selected} onSelect={setSelected} />
          </section>
        </div>
      </div>
    </div>
  );
}
