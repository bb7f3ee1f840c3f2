"""Add-on constructs, one concern each (DataSync, S3 File Gateway, AppStream, uploader host, DropBox import, monitoring)."""
