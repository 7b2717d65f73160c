// Says so at once when vmctld stops answering (a request failed, or the events stream closed), while
// the stream reconnects on its own; goes away when it is back, and the views reload what they show.
import { Banner, Button } from "@patternfly/react-core";
import ExclamationTriangleIcon from "@patternfly/react-icons/dist/esm/icons/exclamation-triangle-icon";
import { isDown, useReachability } from "../../api/reachability";
import { retryNow } from "../../api/live";

export function ConnectionBanner() {
  const reach = useReachability();
  return (
    <div role="status" aria-live="polite">
      {isDown(reach) ? (
        <Banner status="danger" isSticky data-testid="connection-banner" screenReaderText="Connection problem">
          <div style={{ display: "flex", alignItems: "center", gap: 8, justifyContent: "center", flexWrap: "wrap" }}>
            <ExclamationTriangleIcon />
            <span>
              {reach.stream === "closed" ? "Lost the connection to vmctld" : "vmctld did not answer"}; reconnecting on its own{reach.attempts > 0 ? ` (attempt ${reach.attempts + 1})` : ""}.
              {" "}What you see may be out of date until it is back.
            </span>
            <Button variant="link" isInline onClick={retryNow}>Retry now</Button>
          </div>
        </Banner>
      ) : null}
    </div>
  );
}
