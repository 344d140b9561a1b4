interface Point {
  x: number;
  y: number;
}

export function norm(p: Point): number {
  const sq = p.x * p.x + p.y * p.y;
  return Math.sqrt(sq);
}

export class Stack<T> {
  private items: T[] = [];
  push(item: T): void {
    this.items.push(item);
  }
}
