"""Users, logging in and the scope each user may see and edit (least privilege)."""
