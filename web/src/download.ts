/** Saves a file through the browser's download (no data: URI, which the app's CSP does not allow). */
export function downloadBlob(filename: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Saves text as a file through the browser's download (no server round trip). */
export function downloadText(filename: string, text: string, type = 'application/json'): void {
  downloadBlob(filename, new Blob([text], { type }));
}

/**
 * Opens what `signedUrl` answers (a short-lived signed link) in a new tab. The tab is opened at once,
 * while the click still counts as the person's (popup blockers allow that), then sent to the link;
 * it gets no handle on this page. Answers the URL when the tab could not be opened, to offer as a link.
 */
export async function openInNewTab(signedUrl: () => Promise<string>): Promise<string | undefined> {
  const tab = window.open('', '_blank');
  if (tab) tab.opener = null;
  let url: string;
  try {
    url = await signedUrl();
  } catch (err) {
    tab?.close();
    throw err;
  }
  if (!tab) return url;
  tab.location.replace(url);
  return undefined;
}
