// A contact's safety number (PRODUCT.md, Identity): 60 digits in twelve groups and a QR code to
// scan, the verified switch, and a loud warning when the contact's identity key changed.
import { useEffect, useMemo, useRef, useState } from 'react';
import QRCode from 'qrcode';
import type { SafetyNumberView } from '../../common/engine';

export interface SafetyNumberPanelProps {
  safety: SafetyNumberView;
  busy: boolean;
  onVerify: (verified: boolean) => void;
  onClose: () => void;
}

/** The QR as SVG rectangles built by React: no HTML strings, so Trusted Types and the CSP hold. */
function QrCode({ text }: { text: string }) {
  const cells = useMemo(() => {
    const { size, data } = QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
    const dark: { x: number; y: number }[] = [];
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) if (data[y * size + x]) dark.push({ x, y });
    return { size, dark };
  }, [text]);
  const quiet = 2;
  const extent = cells.size + quiet * 2;
  return (
    <svg className="qr" viewBox={`0 0 ${extent} ${extent}`} role="img" aria-label="Safety number QR code">
      <rect width={extent} height={extent} fill="#fff" />
      {cells.dark.map(({ x, y }) => (
        <rect key={`${x}.${y}`} x={x + quiet} y={y + quiet} width={1} height={1} fill="#000" />
      ))}
    </svg>
  );
}

export function groupDigits(digits: string): string[] {
  return digits.match(/.{1,5}/g) ?? [];
}

export function SafetyNumberPanel({ safety, busy, onVerify, onClose }: SafetyNumberPanelProps) {
  const name = safety.username ?? safety.accountId;
  // Keyboard and screen-reader users land on the panel they just opened, not behind it.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  // While the change is pending (busy) the switch shows the user's choice, not the old state a
  // controlled box would flip back to until main answers; then it shows what main says.
  const [choice, setChoice] = useState<boolean | null>(null);
  const checked = busy && choice !== null ? choice : safety.verified;
  return (
    <section className="safety card" aria-labelledby="safety-title">
      <h3 id="safety-title" ref={heading} tabIndex={-1}>
        Safety number with {name}
      </h3>
      {safety.identityChanged && (
        <p className="warning" role="alert">
          {name}&apos;s identity key changed. Compare the safety number again before trusting this
          conversation.
        </p>
      )}
      <div className="safety-body">
        <div className="safety-text">
          <p className="hint">
            Compare these digits with {name}, or scan the code. If they match, nobody is in the middle.
          </p>
          <p className="digits" aria-label="Safety number digits">
            {groupDigits(safety.digits).map((group, i) => (
              <span key={i}>{group}</span>
            ))}
          </p>
          <p className={safety.verified ? 'verified-state verified' : 'verified-state'}>
            {safety.verified ? 'Verified' : 'Not verified yet'}
          </p>
          <label className="check">
            <input
              type="checkbox"
              checked={checked}
              disabled={busy}
              onChange={(e) => {
                setChoice(e.target.checked);
                onVerify(e.target.checked);
              }}
            />
            I compared this number with {name} in person or over a trusted channel
          </label>
        </div>
        <QrCode text={safety.scannable} />
      </div>
      <button type="button" className="secondary close" onClick={onClose}>
        Close
      </button>
    </section>
  );
}
