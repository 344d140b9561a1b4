import React from "react";

type Props = { name: string; count: number };

export function Badge({ name, count }: Props) {
  const label = count > 9 ? "9+" : String(count);
  return (
    <span className="badge" title={name}>
      {label}
    </span>
  );
}
