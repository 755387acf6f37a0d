// Drops taken by a part of the window (a path field, the Pipeline view) rather than the window
// itself, which opens a dropped file as a model (Shell.svelte).

/** Whether a drag carries files from the file manager. */
export const dragHasFiles = (e: DragEvent): boolean => Array.from(e.dataTransfer?.types ?? []).includes('Files');

/** A part of the window that takes the files it `accepts`: `over` while one is dragged over it;
 *  a drop goes to `take`, and neither the window opens it nor does its overlay stay up. */
export class DropZone {
  over = $state(false);
  readonly #accepts: (e: DragEvent) => boolean;
  readonly #take: (file: File) => Promise<void>;

  constructor(accepts: (e: DragEvent) => boolean, take: (file: File) => Promise<void>) {
    this.#accepts = accepts;
    this.#take = take;
  }

  dragover = (e: DragEvent): void => {
    if (!this.#accepts(e)) return;
    e.preventDefault();
    this.over = true;
  };

  dragleave = (): void => {
    this.over = false;
  };

  drop = (e: DragEvent): void => {
    this.over = false;
    const file = e.dataTransfer?.files[0];
    if (!file || !this.#accepts(e)) return;
    e.preventDefault();
    e.stopPropagation();
    // The window's drop overlay counts drag enters and leaves: it is told the drag ended here.
    if (typeof DragEvent === 'function') window.dispatchEvent(new DragEvent('dragleave', { dataTransfer: e.dataTransfer }));
    void this.#take(file);
  };
}
