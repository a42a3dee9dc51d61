"""Logs as pandas DataFrames; pandas is imported only when asked for."""


def _party(event):
    """The party an event belongs to: who spoke, proposed, held or released, or joined."""
    data = event.get("data") or {}
    for key in ("by", "party", "holder"):
        if isinstance(data.get(key), str):
            return data[key]
    return None


def _cited(event):
    """What a line cites: a version-1 `source`, or the citations of its `sources`."""
    if event.get("source") is not None:
        return event["source"]
    sources = event.get("sources") or []
    return "; ".join(source["cite"] for source in sources) if sources else None


def events_frame(events):
    """One row per event, in file order, with typed columns. A world time is given three
    ways: `occurred` (its start), `occurred_end` (its last instant) and `occurred_text`
    (as the line writes it: `2021-05~`, `2021-05-01/2021-05-06`). An imported event's
    record is in `origin_dataset`, `origin_id` and `origin_fields` (the record, a dict)."""
    from . import world_time
    try:
        import pandas
    except ImportError as missing:
        raise ImportError(
            "Log.to_pandas() needs pandas: pip install pandas (accord itself does not)"
        ) from missing
    columns = {
        "seq": [], "id": [], "type": [], "occurred": [], "occurred_end": [],
        "occurred_text": [], "recorded": [], "party": [], "source": [], "data": [],
        "origin_dataset": [], "origin_id": [], "origin_fields": [],
    }
    for event in events:
        columns["seq"].append(event["seq"])
        columns["id"].append(event["id"])
        columns["type"].append(event["type"])
        start, end = world_time(event["occurred"])
        columns["occurred"].append(start)
        columns["occurred_end"].append(end)
        columns["occurred_text"].append(event["occurred"])
        columns["recorded"].append(event["recorded"])
        columns["party"].append(_party(event))
        columns["source"].append(_cited(event))
        columns["data"].append(event["data"])
        origin = event.get("origin") or {}
        columns["origin_dataset"].append(origin.get("dataset"))
        columns["origin_id"].append(origin.get("id"))
        columns["origin_fields"].append(origin.get("fields"))
    frame = pandas.DataFrame(columns)
    frame["seq"] = frame["seq"].astype("int64")
    frame["type"] = frame["type"].astype("category")
    frame["party"] = frame["party"].astype("category")
    frame["source"] = frame["source"].astype("string")
    frame["id"] = frame["id"].astype("string")
    frame["occurred_text"] = frame["occurred_text"].astype("string")
    frame["origin_dataset"] = frame["origin_dataset"].astype("category")
    frame["origin_id"] = frame["origin_id"].astype("string")
    for column in ("occurred", "occurred_end", "recorded"):
        frame[column] = pandas.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame.set_index("seq", drop=False)
