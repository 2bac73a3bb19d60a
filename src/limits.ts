// Page sizes every connection shares: the builder applies them, the document checks refuse more
// before anything runs.
export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 50;
