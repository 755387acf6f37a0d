// The Graph tab's layout worker: dagre off the UI thread, one message per batch of groups.
import { type LayoutMessage, handleLayoutMessage } from '../../../../../shared/graph/layout';

self.onmessage = (e: MessageEvent<LayoutMessage & { id: number }>) => {
  const reply = handleLayoutMessage(e.data);
  self.postMessage({ id: e.data.id, ...reply });
};
