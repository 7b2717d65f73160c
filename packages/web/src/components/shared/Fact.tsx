// One term and its value in a description list.
import type { ReactNode } from "react";
import { DescriptionListDescription, DescriptionListGroup, DescriptionListTerm } from "@patternfly/react-core";

export const Fact = ({ term, children }: { term: string; children: ReactNode }) => (
  <DescriptionListGroup><DescriptionListTerm>{term}</DescriptionListTerm><DescriptionListDescription>{children}</DescriptionListDescription></DescriptionListGroup>
);
