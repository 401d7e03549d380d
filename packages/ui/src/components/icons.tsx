import type { ComponentChildren } from 'preact';
import type { EventClass } from '../api/journal-record.js';

interface IconProps {
  readonly class?: string;
}

function Svg({ children, class: cls }: IconProps & { children: ComponentChildren }) {
  return (
    <svg
      class={`icon ${cls ?? ''}`}
      viewBox="0 0 16 16"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
    >
      {children}
    </svg>
  );
}

/** The icon of an event class: information (i), error (!), security incident (shield), correction (pencil). */
export function ClassIcon({ value }: { readonly value: EventClass }) {
  switch (value) {
    case 1:
      return (
        <Svg class="class-icon">
          <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" stroke-width="1.5" />
          <path d="M8 7v4.2M8 4.6v.1" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" />
        </Svg>
      );
    case 2:
      return (
        <Svg class="class-icon">
          <path
            d="M8 1.6 15 14H1z"
            fill="none"
            stroke="currentColor"
            stroke-width="1.5"
            stroke-linejoin="round"
          />
          <path d="M8 6v4M8 12v.1" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" />
        </Svg>
      );
    case 3:
      return (
        <Svg class="class-icon">
          <path d="M8 1.3 14 3.6v4.2c0 3.4-2.6 5.9-6 6.9-3.4-1-6-3.5-6-6.9V3.6z" fill="currentColor" />
          <path
            d="M8 4.8v3.8M8 10.9v.1"
            stroke="var(--on-strong)"
            stroke-width="1.7"
            stroke-linecap="round"
          />
        </Svg>
      );
    case 4:
      return (
        <Svg class="class-icon">
          <path
            d="m10.8 2.2 3 3L6 13H3v-3z"
            fill="none"
            stroke="currentColor"
            stroke-width="1.5"
            stroke-linejoin="round"
          />
        </Svg>
      );
  }
}

export function ChevronIcon() {
  return (
    <Svg class="chevron">
      <path
        d="m6 3.5 4.5 4.5L6 12.5"
        fill="none"
        stroke="currentColor"
        stroke-width="1.8"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </Svg>
  );
}

export function CopyIcon() {
  return (
    <Svg>
      <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.4" />
      <path
        d="M11 3V2.5A1.5 1.5 0 0 0 9.5 1h-7A1.5 1.5 0 0 0 1 2.5v7A1.5 1.5 0 0 0 2.5 11H3"
        fill="none"
        stroke="currentColor"
        stroke-width="1.4"
      />
    </Svg>
  );
}

export function LinkIcon() {
  return (
    <Svg>
      <path
        d="M6.5 9.5 9.5 6.5M7 4.5l1.3-1.3a2.8 2.8 0 0 1 4 4L11 8.5M9 11.5l-1.3 1.3a2.8 2.8 0 0 1-4-4L5 7.5"
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
        stroke-linecap="round"
      />
    </Svg>
  );
}

export function TimelineIcon() {
  return (
    <Svg>
      <path
        d="M3 2v12M3 4h9M3 8h6M3 12h8"
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
        stroke-linecap="round"
      />
    </Svg>
  );
}

export function DownloadIcon() {
  return (
    <Svg>
      <path
        d="M8 2v8m-3.5-3L8 10.5 11.5 7M2.5 13.5h11"
        fill="none"
        stroke="currentColor"
        stroke-width="1.5"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </Svg>
  );
}

export function SealIcon() {
  return (
    <svg class="seal" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path
        d="M9 9h14M16 9v14M11 16h10M12 23h8"
        stroke="var(--on-strong)"
        stroke-width="2.6"
        stroke-linecap="round"
        fill="none"
      />
    </svg>
  );
}

export function SignatureIcon({ ok }: { readonly ok: boolean }) {
  return ok ? (
    <Svg>
      <path
        d="M8 1.3 14 3.6v4.2c0 3.4-2.6 5.9-6 6.9-3.4-1-6-3.5-6-6.9V3.6z"
        fill="none"
        stroke="currentColor"
        stroke-width="1.4"
      />
      <path
        d="m5.3 8 1.9 1.9 3.6-3.8"
        fill="none"
        stroke="currentColor"
        stroke-width="1.6"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </Svg>
  ) : (
    <Svg>
      <path
        d="M8 1.3 14 3.6v4.2c0 3.4-2.6 5.9-6 6.9-3.4-1-6-3.5-6-6.9V3.6z"
        fill="none"
        stroke="currentColor"
        stroke-width="1.4"
      />
      <path
        d="m5.8 5.8 4.4 4.4m0-4.4-4.4 4.4"
        fill="none"
        stroke="currentColor"
        stroke-width="1.6"
        stroke-linecap="round"
      />
    </Svg>
  );
}

/** A ring with a stroke inside it: the clock and the check mark. */
function Circled({ d }: { readonly d: string }) {
  return (
    <Svg>
      <circle cx="8" cy="8" r="6.3" fill="none" stroke="currentColor" stroke-width="1.5" />
      <path
        d={d}
        fill="none"
        stroke="currentColor"
        stroke-width="1.6"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </Svg>
  );
}

/** A clock: a time worth a second look (a large gap between the source's clock and Tamga's). */
export function ClockIcon() {
  return <Circled d="M8 4.5V8l2.4 1.6" />;
}

/** A check mark in a circle: a check that passed. */
export function VerifyIcon() {
  return <Circled d="m5.2 8.2 1.9 1.9 3.7-3.9" />;
}
