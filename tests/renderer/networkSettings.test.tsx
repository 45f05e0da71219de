// Settings → Network as a pure component: a bad proxy address is named in words and cannot be saved,
// a good one is handed back as typed, an empty field means a direct connection, and the status line
// names the saved proxy without its credentials.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetworkSettings } from '../../renderer/components/NetworkSettings';

afterEach(cleanup);

function field(): HTMLInputElement {
  return screen.getByLabelText('SOCKS5 proxy');
}

describe('NetworkSettings', () => {
  it('refuses a bad address in words and keeps Save disabled', () => {
    const onSave = vi.fn();
    render(<NetworkSettings proxyUrl={null} busy={false} onSave={onSave} />);
    fireEvent.change(field(), { target: { value: 'http://127.0.0.1:8080' } });
    fireEvent.blur(field());
    expect(screen.getByRole('alert').textContent).toContain('must start with socks5h:// or socks5://');
    expect(field().getAttribute('aria-invalid')).toBe('true');
    const save = screen.getByRole<HTMLButtonElement>('button', { name: 'Save proxy' });
    expect(save.disabled).toBe(true);
    fireEvent.submit(save.closest('form')!);
    expect(onSave).not.toHaveBeenCalled();
  });

  it('hands back a valid address, and null for an empty field', () => {
    const onSave = vi.fn();
    const { rerender } = render(<NetworkSettings proxyUrl={null} busy={false} onSave={onSave} />);
    fireEvent.change(field(), { target: { value: 'socks5h://127.0.0.1:9050' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save proxy' }));
    expect(onSave).toHaveBeenLastCalledWith('socks5h://127.0.0.1:9050');

    rerender(<NetworkSettings proxyUrl="socks5h://127.0.0.1:9050" busy={false} onSave={onSave} />);
    fireEvent.change(field(), { target: { value: '' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect directly' }));
    expect(onSave).toHaveBeenLastCalledWith(null);
  });

  it('says where connections go, naming the proxy without its password', () => {
    render(<NetworkSettings proxyUrl="socks5h://me:hunter2@127.0.0.1:9050" busy={false} onSave={vi.fn()} />);
    const status = screen.getByRole('status').textContent ?? '';
    expect(status).toContain('socks5h://127.0.0.1:9050');
    expect(status).toContain('never connects directly');
    expect(status).not.toContain('hunter2');
  });
});
