"""Where runs show themselves: a Slack thread (:mod:`.slack`) or a terminal (:mod:`.terminal`)."""
