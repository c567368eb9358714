export function newestSourceChange(root: string): number;
export function chooseBuild(
  root: string,
): { build: 'bundle'; path: string } | { build: 'source'; staleBundle: boolean };
