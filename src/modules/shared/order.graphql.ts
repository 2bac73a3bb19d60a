// The direction of a list's `orderBy` ({ field: XxxOrderField!, direction: OrderDirection! }),
// shared by every list that takes one.
import { builder } from "../../graphql/builder.js";

export const OrderDirection = builder.enumType("OrderDirection", {
  description: "The direction of an ordering.",
  values: {
    ASC: { description: "Ascending: A to Z, oldest first, smallest first." },
    DESC: { description: "Descending: Z to A, newest first, largest first." },
  },
});

/** Prisma's spelling of a direction. */
export const sortOf = (direction: "ASC" | "DESC") => (direction === "ASC" ? "asc" : "desc");
