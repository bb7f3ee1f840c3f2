"""Application Auto Scaling: tags."""

from __future__ import annotations

import json

from emulator.patches import Patcher, patch


@patch(
    "application autoscaling tags",
    (
        "moto 5.2.5 answers ListTagsForResource, TagResource and UntagResource of Application "
        "Auto Scaling with 500 (not implemented) and ignores the Tags of RegisterScalableTarget; "
        "the provider reads a scalable target's tags after creating it and retries for many "
        "minutes. Here the tags are kept per ARN and answered."
    ),
)
def tags(patcher: Patcher) -> None:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    tags: dict[str, dict[str, str]] = {}  # resource ARN -> tags
    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self):
        body = register(self)
        arn = json.loads(body)["ScalableTargetARN"]
        tags.setdefault(arn, {}).update(self._get_param("Tags") or {})
        return body

    def list_tags_for_resource(self):
        return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    def tag_resource(self):
        tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return json.dumps({})

    def untag_resource(self):
        current = tags.get(self._get_param("ResourceARN"), {})
        for key in self._get_param("TagKeys") or []:
            current.pop(key, None)
        return json.dumps({})

    patcher.setattr(ApplicationAutoScalingResponse, "register_scalable_target", register_scalable_target)
    patcher.setattr(ApplicationAutoScalingResponse, "list_tags_for_resource", list_tags_for_resource)
    patcher.setattr(ApplicationAutoScalingResponse, "tag_resource", tag_resource)
    patcher.setattr(ApplicationAutoScalingResponse, "untag_resource", untag_resource)
