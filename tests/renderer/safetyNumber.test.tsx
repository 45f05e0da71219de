// The safety-number panel: twelve groups of five digits, a scannable QR drawn as SVG (no HTML
// strings), a loud warning after an identity change, and the verified switch.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SafetyNumberView } from '../../common/engine';
import { SafetyNumberPanel, groupDigits } from '../../renderer/components/SafetyNumberPanel';

afterEach(cleanup);

const DIGITS = '123456789012345678901234567890123456789012345678901234567890';

function safety(overrides: Partial<SafetyNumberView> = {}): SafetyNumberView {
  return {
    accountId: '00000000-0000-4000-8000-000000000000',
    username: 'bob',
    digits: DIGITS,
    scannable: 'AAECAwQFBgcICQ==',
    verified: false,
    identityChanged: false,
    ...overrides,
  };
}

describe('SafetyNumberPanel', () => {
  it('shows the 60 digits as twelve groups of five and a QR code made of SVG cells', () => {
    expect(groupDigits(DIGITS)).toHaveLength(12);
    const { container } = render(
      <SafetyNumberPanel safety={safety()} busy={false} onVerify={vi.fn()} onClose={vi.fn()} />,
    );
    const groups = screen.getByLabelText('Safety number digits').querySelectorAll('span');
    expect([...groups].map((g) => g.textContent).join('')).toBe(DIGITS);
    expect(groups).toHaveLength(12);
    const qr = screen.getByRole('img', { name: 'Safety number QR code' });
    // A version-1+ QR has at least 21×21 modules, roughly half of them dark.
    expect(qr.querySelectorAll('rect').length).toBeGreaterThan(100);
    expect(container.querySelector('[role="alert"]')).toBeNull();
  });

  it('warns loudly after an identity change and reports the verified switch', () => {
    const onVerify = vi.fn();
    render(
      <SafetyNumberPanel
        safety={safety({ identityChanged: true })}
        busy={false}
        onVerify={onVerify}
        onClose={vi.fn()}
      />,
    );
    expect(screen.getByRole('alert').textContent).toContain("bob's identity key changed");
    fireEvent.click(screen.getByRole('checkbox', { name: /compared this number/ }));
    expect(onVerify).toHaveBeenCalledWith(true);
  });
});
