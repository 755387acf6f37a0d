// Evaluation metrics over labelled data (issue #18). Pure: the engine accumulates them over a
// batch job's results, the CLI prints them, the renderer draws them.
export * from './classification';
export * from './detection';
export * from './segmentation';
export * from './text';
export * from './report';
export * from './plots';
