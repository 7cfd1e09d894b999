/**
 * Draws the model's picture with the relevance map over it: the positive part of gradient × input per patch, scaled
 * to the map's maximum, as a translucent warm overlay (one cell per patch); patches that speak against the answer stay
 * uncovered.
 *
 * @param values [gh·gw] relevance per patch, raster order
 */
export function drawHeatMap(canvas: HTMLCanvasElement, picture: ImageData, grid: readonly [number, number], values: ArrayLike<number>): void {
  const context = canvas.getContext('2d')!;
  const base = new OffscreenCanvas(picture.width, picture.height);
  base.getContext('2d')!.putImageData(picture, 0, 0);
  context.imageSmoothingEnabled = false;
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.drawImage(base, 0, 0, canvas.width, canvas.height);
  const [rows, columns] = grid;
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  if (!(max > 0)) return;
  const cellWidth = canvas.width / columns;
  const cellHeight = canvas.height / rows;
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const share = Math.max(0, values[row * columns + column]!) / max;
      if (share <= 0.05) continue;
      context.fillStyle = `rgba(255, ${Math.round(200 * (1 - share))}, 0, ${(0.15 + 0.5 * share).toFixed(3)})`;
      context.fillRect(column * cellWidth, row * cellHeight, cellWidth, cellHeight);
    }
  }
}
