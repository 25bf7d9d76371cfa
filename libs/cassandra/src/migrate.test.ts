import { expect, test } from "bun:test";
import { splitStatements } from "./migrate.ts";

test("statements are split on semicolons with comment lines dropped", () => {
  expect(
    splitStatements(
      "-- a comment\nCREATE TABLE a (x int PRIMARY KEY);\n// another\nDROP TABLE b;\n",
    ),
  ).toEqual(["CREATE TABLE a (x int PRIMARY KEY)", "DROP TABLE b"]);
});
