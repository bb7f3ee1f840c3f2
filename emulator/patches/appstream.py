"""AppStream 2.0: fleets, stacks, their association, user-pool users and their stacks, tags."""

from __future__ import annotations

from emulator.patches import Patcher, patch
from emulator.patches._wsgi import ApiError, json_service


def _now() -> float:
    from moto.core.utils import unix_time

    return unix_time()


# (account, region) -> fleets and stacks by name, users by (authentication type, name),
# fleet-stack and user-stack associations, tags by ARN; emptied when the patch is applied
_regions: dict[tuple[str, str], dict] = {}


def _state(account: str, region: str) -> dict:
    return _regions.setdefault(
        (account, region),
        {
            "fleets": {},
            "stacks": {},
            "users": {},
            "fleet_stacks": set(),
            "user_stacks": set(),
            "tags": {},
        },
    )


def _arn(account, region, kind: str, name: str) -> str:
    return f"arn:aws:appstream:{region}:{account}:{kind}/{name}"


def _not_found(kind: str, name: str) -> ApiError:
    return ApiError("ResourceNotFoundException", f"The {kind} {name} does not exist.")


def _keep_tags(account, region, resource: str, tags) -> None:
    _state(account, region)["tags"].setdefault(resource, {}).update(tags or {})


def _fleet_of(account, region, name: str) -> dict:
    fleet = _state(account, region)["fleets"].get(name)
    if fleet is None:
        raise _not_found("fleet", name)
    return fleet


def _stack_of(account, region, name: str) -> dict:
    stack = _state(account, region)["stacks"].get(name)
    if stack is None:
        raise _not_found("stack", name)
    return stack


_FLEET_KEYS = (
    "ImageName",
    "ImageArn",
    "InstanceType",
    "FleetType",
    "VpcConfig",
    "MaxUserDurationInSeconds",
    "DisconnectTimeoutInSeconds",
    "Description",
    "DisplayName",
    "EnableDefaultInternetAccess",
    "DomainJoinInfo",
    "IdleDisconnectTimeoutInSeconds",
    "IamRoleArn",
    "StreamView",
    "Platform",
    "MaxConcurrentSessions",
    "UsbDeviceFilterStrings",
    "SessionScriptS3Location",
    "MaxSessionsPerInstance",
)


def _shown_fleet(account, region, fleet: dict) -> dict:
    desired = fleet["_capacity"].get("DesiredInstances", 0)
    running = desired if fleet["State"] == "RUNNING" else 0
    return {
        **{k: v for k, v in fleet.items() if not k.startswith("_")},
        "ComputeCapacityStatus": {"Desired": desired, "Running": running, "InUse": 0, "Available": running},
    }


def create_fleet(account, region, body):
    found = _state(account, region)
    if body["Name"] in found["fleets"]:
        raise ApiError("ResourceAlreadyExistsException", f"The fleet {body['Name']} already exists.")
    fleet = {
        # What AWS fills in when a setting is not given.
        "FleetType": "ON_DEMAND",
        "StreamView": "APP",
        "EnableDefaultInternetAccess": False,
        "MaxUserDurationInSeconds": 57600,
        "DisconnectTimeoutInSeconds": 900,
        "IdleDisconnectTimeoutInSeconds": 0,
        "Platform": "WINDOWS_SERVER_2019",
        **{k: body[k] for k in _FLEET_KEYS if body.get(k) is not None},
        "Name": body["Name"],
        "Arn": _arn(account, region, "fleet", body["Name"]),
        "State": "STOPPED",
        "CreatedTime": _now(),
        "FleetErrors": [],
        "_capacity": body.get("ComputeCapacity") or {},
    }
    if "ImageArn" not in fleet:
        fleet["ImageArn"] = _arn(account, region, "image", fleet["ImageName"])
    found["fleets"][fleet["Name"]] = fleet
    _keep_tags(account, region, fleet["Arn"], body.get("Tags"))
    return {"Fleet": _shown_fleet(account, region, fleet)}


def describe_fleets(account, region, body):
    names = body.get("Names") or list(_state(account, region)["fleets"])
    return {"Fleets": [_shown_fleet(account, region, _fleet_of(account, region, name)) for name in names]}


def update_fleet(account, region, body):
    fleet = _fleet_of(account, region, body["Name"])
    changes = {k: body[k] for k in _FLEET_KEYS if body.get(k) is not None}
    if fleet["State"] != "STOPPED" and {"VpcConfig", "InstanceType", "IamRoleArn", "DomainJoinInfo"} & set(changes):
        raise ApiError("InvalidParameterCombinationException", "The fleet must be stopped to change these settings.")
    fleet.update(changes)
    if body.get("ComputeCapacity"):
        fleet["_capacity"] = body["ComputeCapacity"]
    return {"Fleet": _shown_fleet(account, region, fleet)}


def start_fleet(account, region, body):
    _fleet_of(account, region, body["Name"])["State"] = "RUNNING"
    return {}


def stop_fleet(account, region, body):
    _fleet_of(account, region, body["Name"])["State"] = "STOPPED"
    return {}


def delete_fleet(account, region, body):
    found, fleet = _state(account, region), _fleet_of(account, region, body["Name"])
    if fleet["State"] != "STOPPED":
        raise ApiError("ResourceInUseException", f"The fleet {fleet['Name']} must be stopped before it is deleted.")
    if any(f == fleet["Name"] for f, _ in found["fleet_stacks"]):
        raise ApiError("ResourceInUseException", f"The fleet {fleet['Name']} is associated with a stack.")
    del found["fleets"][fleet["Name"]]
    found["tags"].pop(fleet["Arn"], None)
    return {}


_STACK_KEYS = (
    "Description",
    "DisplayName",
    "StorageConnectors",
    "RedirectURL",
    "FeedbackURL",
    "UserSettings",
    "AccessEndpoints",
    "EmbedHostDomains",
    "StreamingExperienceSettings",
)


def _application_settings(account, region, stack: dict, given) -> None:
    if given is None:
        return
    settings: dict[str, object] = {"Enabled": bool(given.get("Enabled"))}
    if settings["Enabled"]:
        # AWS keeps the settings in a bucket it creates for the account and region.
        settings.update(
            SettingsGroup=given.get("SettingsGroup", ""), S3BucketName=f"appstream-app-settings-{region}-{account}-emulated"
        )
    stack["ApplicationSettings"] = settings


def create_stack(account, region, body):
    found = _state(account, region)
    if body["Name"] in found["stacks"]:
        raise ApiError("ResourceAlreadyExistsException", f"The stack {body['Name']} already exists.")
    stack = {
        **{k: body[k] for k in _STACK_KEYS if body.get(k) is not None},
        "Name": body["Name"],
        "Arn": _arn(account, region, "stack", body["Name"]),
        "CreatedTime": _now(),
        "StackErrors": [],
        "ApplicationSettings": {"Enabled": False},
    }
    _application_settings(account, region, stack, body.get("ApplicationSettings"))
    found["stacks"][stack["Name"]] = stack
    _keep_tags(account, region, stack["Arn"], body.get("Tags"))
    return {"Stack": stack}


def describe_stacks(account, region, body):
    names = body.get("Names") or list(_state(account, region)["stacks"])
    return {"Stacks": [_stack_of(account, region, name) for name in names]}


_ATTRIBUTE_KEYS = {
    "STORAGE_CONNECTORS": "StorageConnectors",
    "REDIRECT_URL": "RedirectURL",
    "FEEDBACK_URL": "FeedbackURL",
    "USER_SETTINGS": "UserSettings",
    "EMBED_HOST_DOMAINS": "EmbedHostDomains",
    "ACCESS_ENDPOINTS": "AccessEndpoints",
    "STREAMING_EXPERIENCE_SETTINGS": "StreamingExperienceSettings",
    "THEME_NAME": "ThemeName",
}


def update_stack(account, region, body):
    stack = _stack_of(account, region, body["Name"])
    for attribute in body.get("AttributesToDelete") or []:
        if attribute.startswith("STORAGE_CONNECTOR_"):
            kind = attribute.removeprefix("STORAGE_CONNECTOR_")
            stack["StorageConnectors"] = [c for c in stack.get("StorageConnectors", []) if c["ConnectorType"] != kind]
        else:
            stack.pop(_ATTRIBUTE_KEYS.get(attribute, ""), None)
    stack.update({k: body[k] for k in _STACK_KEYS if body.get(k) is not None})
    _application_settings(account, region, stack, body.get("ApplicationSettings"))
    return {"Stack": stack}


def delete_stack(account, region, body):
    found, stack = _state(account, region), _stack_of(account, region, body["Name"])
    if any(s == stack["Name"] for _, s in found["fleet_stacks"]):
        raise ApiError("ResourceInUseException", f"The stack {stack['Name']} is associated with a fleet.")
    found["user_stacks"] = {a for a in found["user_stacks"] if a[0] != stack["Name"]}
    del found["stacks"][stack["Name"]]
    found["tags"].pop(stack["Arn"], None)
    return {}


def associate_fleet(account, region, body):
    fleet, stack = _fleet_of(account, region, body["FleetName"]), _stack_of(account, region, body["StackName"])
    _state(account, region)["fleet_stacks"].add((fleet["Name"], stack["Name"]))
    return {}


def disassociate_fleet(account, region, body):
    _state(account, region)["fleet_stacks"].discard((body["FleetName"], body["StackName"]))
    return {}


def list_associated_stacks(account, region, body):
    return {"Names": sorted(s for f, s in _state(account, region)["fleet_stacks"] if f == body["FleetName"])}


def list_associated_fleets(account, region, body):
    return {"Names": sorted(f for f, s in _state(account, region)["fleet_stacks"] if s == body["StackName"])}


def _user_of(account, region, body) -> dict:
    user = _state(account, region)["users"].get((body["AuthenticationType"], body["UserName"]))
    if user is None:
        raise _not_found("user", body["UserName"])
    return user


def create_user(account, region, body):
    found, key = _state(account, region), (body["AuthenticationType"], body["UserName"])
    if key in found["users"]:
        raise ApiError("ResourceAlreadyExistsException", f"The user {body['UserName']} already exists.")
    found["users"][key] = {
        "Arn": _arn(account, region, "user", f"{key[0]}/{key[1]}"),
        "UserName": key[1],
        "AuthenticationType": key[0],
        "Enabled": True,
        "Status": "FORCE_CHANGE_PASSWORD",
        "CreatedTime": _now(),
        **{k: body[k] for k in ("FirstName", "LastName") if body.get(k)},
    }
    return {}


def describe_users(account, region, body):
    return {"Users": [u for (kind, _), u in _state(account, region)["users"].items() if kind == body["AuthenticationType"]]}


def enable_user(account, region, body):
    _user_of(account, region, body)["Enabled"] = True
    return {}


def disable_user(account, region, body):
    _user_of(account, region, body)["Enabled"] = False
    return {}


def delete_user(account, region, body):
    found, user = _state(account, region), _user_of(account, region, body)
    del found["users"][(user["AuthenticationType"], user["UserName"])]
    found["user_stacks"] = {a for a in found["user_stacks"] if a[1:] != (user["UserName"], user["AuthenticationType"])}
    return {}


def batch_associate_user_stack(account, region, body):
    errors = []
    for association in body["UserStackAssociations"]:
        try:
            _stack_of(account, region, association["StackName"])
            _user_of(account, region, association)
        except ApiError as error:
            errors.append(
                {
                    "UserStackAssociation": association,
                    "ErrorCode": "STACK_NOT_FOUND" if "stack" in error.message else "USER_NAME_NOT_FOUND",
                    "ErrorMessage": error.message,
                }
            )
            continue
        _state(account, region)["user_stacks"].add(
            (association["StackName"], association["UserName"], association["AuthenticationType"])
        )
    return {"errors": errors}


def batch_disassociate_user_stack(account, region, body):
    for association in body["UserStackAssociations"]:
        _state(account, region)["user_stacks"].discard(
            (association["StackName"], association["UserName"], association["AuthenticationType"])
        )
    return {"errors": []}


def describe_user_stack_associations(account, region, body):
    return {
        "UserStackAssociations": [
            {"StackName": stack, "UserName": user, "AuthenticationType": kind}
            for stack, user, kind in sorted(_state(account, region)["user_stacks"])
            if body.get("StackName") in (None, stack)
            and body.get("UserName") in (None, user)
            and body.get("AuthenticationType") in (None, kind)
        ]
    }


def _resource_tags(account, region, resource: str) -> dict:
    found = _state(account, region)
    kind, _, name = resource.split(":", 5)[-1].partition("/")
    if name not in found.get({"fleet": "fleets", "stack": "stacks"}.get(kind, ""), {}):
        raise _not_found(kind, name)
    return found["tags"].setdefault(resource, {})


def list_tags_for_resource(account, region, body):
    return {"Tags": _resource_tags(account, region, body["ResourceArn"])}


def tag_resource(account, region, body):
    _resource_tags(account, region, body["ResourceArn"]).update(body.get("Tags") or {})
    return {}


def untag_resource(account, region, body):
    current = _resource_tags(account, region, body["ResourceArn"])
    for key in body.get("TagKeys") or []:
        current.pop(key, None)
    return {}


_HANDLERS = (
    create_fleet,
    describe_fleets,
    update_fleet,
    start_fleet,
    stop_fleet,
    delete_fleet,
    create_stack,
    describe_stacks,
    update_stack,
    delete_stack,
    associate_fleet,
    disassociate_fleet,
    list_associated_stacks,
    list_associated_fleets,
    create_user,
    describe_users,
    enable_user,
    disable_user,
    delete_user,
    batch_associate_user_stack,
    batch_disassociate_user_stack,
    describe_user_stack_associations,
    list_tags_for_resource,
    tag_resource,
    untag_resource,
)


@patch(
    "appstream",
    (
        "moto 5.2.5 has no AppStream 2.0, so OMERO.insight's fleet, stack and users cannot be "
        "created. Here fleets (created STOPPED, RUNNING after StartFleet, capacity reported from the "
        "desired instances; deletion refused while running or still associated, as AWS does), "
        "stacks (user settings and storage connectors as given, application settings with the "
        "bucket AWS creates for them), fleet-stack associations, user-pool users (enabled or not) "
        "and their stack associations, and the tags of fleets and stacks are kept per account and "
        "region and answered as AWS does (ResourceNotFoundException when absent). Images are not "
        "emulated: any image name is taken as it is given."
    ),
)
def fleets_stacks_and_users(patcher: Patcher) -> None:
    _regions.clear()
    json_service(
        patcher,
        "PhotonAdminProxyService",
        "Message",
        {"".join(part.capitalize() for part in handler.__name__.split("_")): handler for handler in _HANDLERS},
    )
