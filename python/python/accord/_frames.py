"""Logs as pandas DataFrames; pandas is imported only when asked for."""


def _party(event):
    """The party an event belongs to: who spoke, proposed, held or released, or joined."""
    data = event.get("data") or {}
    for key in ("by", "party", "holder"):
        if isinstance(data.get(key), str):
            return data[key]
    return None


def events_frame(events):
    """One row per event, in file order, with typed columns."""
    try:
        import pandas
    except ImportError as missing:
        raise ImportError(
            "Log.to_pandas() needs pandas: pip install pandas (accord itself does not)"
        ) from missing
    columns = {
        "seq": [], "id": [], "type": [], "occurred": [], "recorded": [],
        "party": [], "source": [], "data": [],
    }
    for event in events:
        columns["seq"].append(event["seq"])
        columns["id"].append(event["id"])
        columns["type"].append(event["type"])
        columns["occurred"].append(event["occurred"])
        columns["recorded"].append(event["recorded"])
        columns["party"].append(_party(event))
        columns["source"].append(event.get("source"))
        columns["data"].append(event["data"])
    frame = pandas.DataFrame(columns)
    frame["seq"] = frame["seq"].astype("int64")
    frame["type"] = frame["type"].astype("category")
    frame["party"] = frame["party"].astype("category")
    frame["source"] = frame["source"].astype("string")
    frame["id"] = frame["id"].astype("string")
    for column in ("occurred", "recorded"):
        frame[column] = pandas.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame.set_index("seq", drop=False)
