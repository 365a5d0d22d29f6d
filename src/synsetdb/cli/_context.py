"""What every command can reach: the project (if any) and its taxonomy."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from ..catalog import Project
from ..errors import ProjectNotFoundError
from ..hierarchy import Taxonomy


class AppContext:
    """Opens the project and taxonomy lazily, once per command."""

    def __init__(self, project_dir: str | None) -> None:
        self.project_dir = project_dir

    @cached_property
    def project(self) -> Project:
        """The project; ``ProjectNotFoundError`` when there is none."""
        if self.project_dir:
            return Project.open(Path(self.project_dir))
        return Project.find()

    @cached_property
    def optional_project(self) -> Project | None:
        """The project, or None outside any project."""
        try:
            return self.project
        except ProjectNotFoundError:
            if self.project_dir:  # asked for explicitly: that is an error
                raise
            return None

    @cached_property
    def taxonomy(self) -> Taxonomy:
        """The project's taxonomy, or WordNet 3.0 outside a project."""
        project = self.optional_project
        return project.taxonomy if project is not None else Taxonomy.wordnet()

    def close(self) -> None:
        if "project" in self.__dict__:
            self.project.close()
